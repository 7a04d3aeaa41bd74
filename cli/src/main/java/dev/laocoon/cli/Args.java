package dev.laocoon.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line parsing for the few options Laocoon has. A hand-written parser because start-up
 * time is part of the product: a general-purpose CLI library costs 100-250 ms of class
 * initialisation before the first byte is scanned. Supports {@code --opt value},
 * {@code --opt=value}, short aliases, flags and {@code --} to end options.
 */
final class Args {
    /** A usage problem; the message is shown with a hint to run --help. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /** One option: its names, whether it takes a value, its label and help text. */
    record Option(List<String> names, String label, String help) {
        boolean takesValue() {
            return label != null;
        }

        String key() {
            return names.get(names.size() - 1);
        }
    }

    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final Set<String> flags = new java.util.HashSet<>();
    private final List<String> positionals = new ArrayList<>();

    static Args parse(List<Option> options, List<String> argv) throws UsageException {
        Args a = new Args();
        boolean onlyPositionals = false;
        for (int i = 0; i < argv.size(); i++) {
            String s = argv.get(i);
            if (onlyPositionals || !s.startsWith("-") || s.equals("-")) {
                a.positionals.add(s);
                continue;
            }
            if (s.equals("--")) {
                onlyPositionals = true;
                continue;
            }
            String name = s;
            String inline = null;
            int eq = s.indexOf('=');
            if (s.startsWith("--") && eq > 0) {
                name = s.substring(0, eq);
                inline = s.substring(eq + 1);
            }
            Option opt = find(options, name);
            if (opt == null) {
                throw new UsageException("unknown option '" + name + "'");
            }
            if (opt.takesValue()) {
                String v = inline;
                if (v == null) {
                    if (i + 1 >= argv.size()) {
                        throw new UsageException("option '" + name + "' needs a value (" + opt.label() + ")");
                    }
                    v = argv.get(++i);
                }
                List<String> vs = a.values.get(opt.key());
                if (vs == null) {
                    vs = new ArrayList<>();
                    a.values.put(opt.key(), vs);
                }
                vs.add(v);
            } else {
                if (inline != null) {
                    throw new UsageException("option '" + name + "' takes no value");
                }
                a.flags.add(opt.key());
            }
        }
        return a;
    }

    private static Option find(List<Option> options, String name) {
        for (Option o : options) {
            if (o.names().contains(name)) {
                return o;
            }
        }
        return null;
    }

    /** The last value given for the option, or {@code fallback}. */
    String value(String key, String fallback) {
        List<String> v = values.get(key);
        return v == null ? fallback : v.get(v.size() - 1);
    }

    /** Every value given for a repeatable option, in order. */
    List<String> all(String key) {
        return values.getOrDefault(key, List.of());
    }

    boolean flag(String key) {
        return flags.contains(key);
    }

    List<String> positionals() {
        return positionals;
    }

    static String usage(String synopsis, String description, List<Option> options) {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage: ").append(synopsis).append("\n\n").append(description).append("\n\nOptions:\n");
        for (Option o : options) {
            String left = "  " + String.join(", ", o.names()) + (o.takesValue() ? " " + o.label() : "");
            sb.append(left);
            if (left.length() < 30) {
                sb.append(" ".repeat(30 - left.length()));
            } else {
                sb.append("\n").append(" ".repeat(30));
            }
            sb.append(o.help()).append('\n');
        }
        return sb.toString();
    }
}

package dev.laocoon.core.finding;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules reports describe (SARIF lists them all, with their documentation): core's
 * {@link Rule}s plus those other modules add with {@link #with}. Ordered by id; immutable.
 */
public final class RuleCatalog {
    private static final RuleCatalog BUILT_IN = new RuleCatalog(List.of(Rule.values()));

    private final List<RuleDescriptor> rules;
    private final Map<String, Integer> index = new LinkedHashMap<>();

    private RuleCatalog(List<? extends RuleDescriptor> rules) {
        List<RuleDescriptor> sorted = new ArrayList<>(rules);
        sorted.sort(Comparator.comparing(RuleDescriptor::id));
        for (int i = 0; i < sorted.size(); i++) {
            if (index.put(sorted.get(i).id(), i) != null) {
                throw new IllegalArgumentException("rule id " + sorted.get(i).id() + " is defined twice");
            }
        }
        this.rules = Collections.unmodifiableList(sorted);
    }

    /** Core's rules. */
    public static RuleCatalog builtIn() {
        return BUILT_IN;
    }

    /** This catalogue plus {@code more} (ids must not repeat). */
    public RuleCatalog with(List<? extends RuleDescriptor> more) {
        List<RuleDescriptor> all = new ArrayList<>(rules);
        all.addAll(more);
        return new RuleCatalog(all);
    }

    /** Every rule, ordered by id. */
    public List<RuleDescriptor> rules() {
        return rules;
    }

    /** The position of a rule in {@link #rules()}, or -1. */
    public int indexOf(String id) {
        Integer i = index.get(id);
        return i == null ? -1 : i;
    }

    /**
     * The rule's documentation page ({@code /dev/laocoon/rules/ID.md} next to the rule's class), or
     * the summary alone when it has none.
     */
    public static String page(RuleDescriptor r) {
        try (InputStream in = r.getClass().getResourceAsStream("/dev/laocoon/rules/" + r.id() + ".md")) {
            if (in == null) {
                return "# " + r.id() + " " + r.slug() + "\n\n" + r.summary() + "\n";
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.laocoon.core.internal.pickle;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** CPython's {@code _compat_pickle} mapping, applied by find_class when the declared protocol is below 3. */
public final class CompatNames {
    private static final Map<String, String[]> NAMES = new HashMap<>();
    private static final Map<String, String> MODULES = new HashMap<>();

    static {
        try (InputStream in = CompatNames.class.getResourceAsStream("/dev/laocoon/pickle/compat-pickle.txt")) {
            if (in == null) {
                throw new IllegalStateException("compat-pickle.txt missing from the class path");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = fields(line.trim());
                if (f[0].equals("N") && f.length == 5) {
                    NAMES.put(f[1] + "\u0000" + f[2], new String[] {f[3], f[4]});
                } else if (f[0].equals("I") && f.length == 3) {
                    MODULES.put(f[1], f[2]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private CompatNames() {
    }

    private static String[] fields(String line) {
        java.util.List<String> out = new java.util.ArrayList<>(5);
        int i = 0;
        while (i < line.length()) {
            int j = line.indexOf(' ', i);
            if (j < 0) {
                j = line.length();
            }
            if (j > i) {
                out.add(line.substring(i, j));
            }
            i = j + 1;
        }
        return out.toArray(new String[0]);
    }

    /** What find_class looks up for (module, name) under the given declared protocol. */
    public static GlobalName resolve(String module, String name, int protocol) {
        if (protocol < 3) {
            String[] mapped = NAMES.get(module + "\u0000" + name);
            if (mapped != null) {
                return new GlobalName(module, name, mapped[0], mapped[1], protocol, true);
            }
            String m = MODULES.get(module);
            if (m != null) {
                return new GlobalName(module, name, m, name, protocol, true);
            }
        }
        return new GlobalName(module, name, module, name, protocol, true);
    }
}

package dev.laocoon.core.internal.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Knowledge tables of the format readers, read from the knowledge-base resources ({@code /dev/laocoon/kb/}). */
public final class Tables {
    private Tables() {
    }

    /** The non-empty, non-comment lines of a knowledge-base resource, stripped. */
    public static List<String> lines(String name) {
        try (InputStream in = Tables.class.getResourceAsStream("/dev/laocoon/kb/" + name)) {
            if (in == null) {
                throw new IllegalStateException("knowledge-base file missing: " + name);
            }
            List<String> out = new ArrayList<>();
            for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String t = l.strip();
                if (!t.isEmpty() && !t.startsWith("#")) {
                    out.add(t);
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

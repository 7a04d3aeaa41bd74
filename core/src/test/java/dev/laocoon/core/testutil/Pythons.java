package dev.laocoon.core.testutil;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Finds a Python for the oracle tests: {@code LAOCOON_TORCH_PYTHON} when set, else Debian's
 * {@code /usr/bin/python3} (where python3-torch, -sklearn, ... install), else {@code python3} on
 * the path. The answer is cached per set of modules, so each is probed once per test run.
 */
public final class Pythons {
    private static final Map<String, String> FOUND = new HashMap<>();

    private Pythons() {
    }

    /** A Python that can {@code import modules} (comma-separated), or null when there is none. */
    public static synchronized String with(String modules) {
        if (FOUND.containsKey(modules)) {
            return FOUND.get(modules);
        }
        String env = System.getenv("LAOCOON_TORCH_PYTHON");
        String found = null;
        for (String candidate : env != null ? List.of(env) : List.of("/usr/bin/python3", "python3")) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import " + modules).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    found = candidate;
                    break;
                }
            } catch (IOException e) {
                // try the next one
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        FOUND.put(modules, found);
        return found;
    }
}

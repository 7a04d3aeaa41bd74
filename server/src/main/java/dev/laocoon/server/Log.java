package dev.laocoon.server;

import java.io.PrintStream;
import java.time.Instant;

/** The service's own log lines (stderr): never a token, never a stack trace for an expected failure. */
final class Log {
    private final PrintStream out;
    private final boolean quiet;

    Log(PrintStream out, boolean quiet) {
        this.out = out;
        this.quiet = quiet;
    }

    void info(String message) {
        if (!quiet) {
            synchronized (out) {
                out.println(Instant.now() + " laocoon serve: " + message);
            }
        }
    }
}

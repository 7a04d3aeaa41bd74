package dev.laocoon.cli;

import java.util.concurrent.Executor;

/**
 * What the command line gives the core library for a short-lived JVM's start-up: an executor of
 * daemon threads, on which tree scans run their files and a scan reads the knowledge base ahead
 * of need and compiles the data-only walk while it walks a large pickle.
 */
final class Startup {
    /**
     * A daemon thread per task (a tree scan asks for one per core; a single-file scan only for
     * the knowledge-base preload), or null on a single core, where everything runs on the caller.
     * Cheaper to start than a pool, which a run of a few hundred milliseconds would not reuse.
     */
    private static final Executor THREADS = new Executor() {
        private int count;

        @Override
        public void execute(Runnable r) {
            Thread t = new Thread(r, "laocoon-" + nextNumber());
            t.setDaemon(true);
            t.start();
        }

        private synchronized int nextNumber() {
            return ++count;
        }
    };

    private Startup() {
    }

    static Executor executor() {
        return Runtime.getRuntime().availableProcessors() < 2 ? null : THREADS;
    }

    /**
     * Starts compiling the data-only walk at once when a file argument is a large pickle (the
     * library would start it only when its scan begins, some milliseconds later).
     */
    static void anticipate(java.util.List<java.nio.file.Path> files) {
        Executor e = executor();
        for (java.nio.file.Path f : files) {
            if (java.nio.file.Files.isRegularFile(f)) {
                try (dev.laocoon.core.source.FileByteSource src = new dev.laocoon.core.source.FileByteSource(f)) {
                    dev.laocoon.core.internal.analysis.PickleStreamAnalyzer.anticipate(src, e);
                } catch (java.io.IOException ignored) {
                    // the scan reports it
                }
            }
        }
    }
}

package dev.laocoon.cli;

import dev.laocoon.core.internal.pickle.DataOnlyWalk;
import java.util.concurrent.Executor;

/**
 * What the command line does for a short-lived JVM's start-up, which the core library leaves to
 * its callers: a pool of daemon threads for tree scans and the knowledge-base preload, and the
 * JIT warm-up of the data-only walk. See DEVELOPERS.md, start-up.
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
     * Compiles the data-only walk on a spare core while the scan starts: large plain-data pickles
     * are then walked by compiled code from their first byte (the launcher keeps start-up short
     * with the client compiler only, which compiles a method after a few thousand loop turns).
     */
    static void warmUp() {
        if (Runtime.getRuntime().availableProcessors() > 1) {
            Thread t = new Thread(new Runnable() { // not a lambda: the first lambda costs milliseconds
                @Override
                public void run() {
                    DataOnlyWalk.warmUp();
                }
            }, "laocoon-warm-up");
            t.setDaemon(true);
            t.start();
        }
    }
}

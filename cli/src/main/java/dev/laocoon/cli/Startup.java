package dev.laocoon.cli;

import dev.laocoon.core.internal.pickle.DataOnlyWalk;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * What the command line does for a short-lived JVM's start-up, which the core library leaves to
 * its callers: a pool of daemon threads for tree scans and the knowledge-base preload, and the
 * JIT warm-up of the data-only walk. See DEVELOPERS.md, start-up.
 */
final class Startup {
    private static volatile ThreadPoolExecutor pool;

    private Startup() {
    }

    /** One daemon thread per core, started on first use; null on a single core (then all runs on the caller). */
    static Executor executor() {
        int n = Runtime.getRuntime().availableProcessors();
        if (n < 2) {
            return null;
        }
        ThreadPoolExecutor p = pool;
        if (p == null) {
            synchronized (Startup.class) {
                p = pool;
                if (p == null) {
                    p = new ThreadPoolExecutor(n, n, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), new ThreadFactory() {
                        private int count;

                        @Override
                        public synchronized Thread newThread(Runnable r) {
                            Thread t = new Thread(r, "laocoon-" + ++count);
                            t.setDaemon(true);
                            return t;
                        }
                    });
                    pool = p;
                }
            }
        }
        return p;
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

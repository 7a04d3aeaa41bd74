package dev.laocoon.batch;

/**
 * Keeps one task's requests under its share of the hub's rate limit: a token bucket charged with the
 * requests each file really made (a 429 answer's Retry-After is honoured by the fetcher on top).
 */
final class Pacer {
    private final double perSecond;
    private double debt;
    private long last = System.nanoTime();

    /** {@code perSecond} <= 0: no pacing. */
    Pacer(double perSecond) {
        this.perSecond = perSecond;
    }

    /** Waits until {@code expected} more requests fit in the rate. */
    synchronized void acquire(long expected) throws InterruptedException {
        if (perSecond <= 0) {
            return;
        }
        refill();
        double over = debt + expected - Math.max(1, perSecond);
        if (over > 0) {
            Thread.sleep((long) Math.ceil(over / perSecond * 1000));
            refill();
        }
    }

    /** Books the requests a file made (against the {@code expected} {@link #acquire} allowed for). */
    synchronized void charge(long made, long expected) {
        if (perSecond > 0) {
            debt += Math.max(0, made);
        }
    }

    private void refill() {
        long now = System.nanoTime();
        debt = Math.max(0, debt - (now - last) / 1e9 * perSecond);
        last = now;
    }
}

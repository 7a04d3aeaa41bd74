package dev.laocoon.core.sign;

/**
 * How a bundle's statement says the model's files were hashed: the algorithm ({@code sha256} or
 * {@code blake2b}) and, for the {@code shards} method, the shard size (0: one digest per file).
 * Read by {@link Signatures#hashPlan} without checking the signature: it only tells a copier which
 * digests to compute on the way ({@link KnownDigests}); verification decides from the verified
 * statement alone.
 */
public record HashPlan(String algorithm, long shardSize) {
    public HashPlan {
        if (!algorithm.equals("sha256") && !algorithm.equals("blake2b")) {
            throw new IllegalArgumentException("unsupported hash algorithm '" + algorithm + "'");
        }
        if (shardSize < 0) {
            throw new IllegalArgumentException("negative shard size");
        }
    }
}

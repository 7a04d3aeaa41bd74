package dev.laocoon.core.sign;

/** One signed item: a file (or a shard {@code path:start:end}), its hash algorithm and hex digest. */
public record Resource(String name, String algorithm, String digest) {
}

package dev.laocoon.core.internal.sign;

import java.util.Comparator;

/** A shard name {@code path:start:end}, split at the last two colons. */
public record ShardName(String path, long start, long end) {
    /** The shard a name denotes, or null when it is not {@code path:start:end}. */
    public static ShardName parse(String name) {
        int b = name.lastIndexOf(':');
        int a = b <= 0 ? -1 : name.lastIndexOf(':', b - 1);
        if (a <= 0) {
            return null;
        }
        try {
            String s = name.substring(a + 1, b);
            String e = name.substring(b + 1);
            if (!s.chars().allMatch(Character::isDigit) || !e.chars().allMatch(Character::isDigit) || s.isEmpty()
                    || e.isEmpty()) {
                return null;
            }
            return new ShardName(name.substring(0, a), Long.parseLong(s), Long.parseLong(e));
        } catch (NumberFormatException x) {
            return null;
        }
    }

    /** Python's order: path components compared in turn, then shard offsets as numbers. */
    public static final Comparator<String> REFERENCE_ORDER = (x, y) -> {
        ShardName a = parse(x);
        ShardName b = parse(y);
        String pa = a == null ? x : a.path();
        String pb = b == null ? y : b.path();
        String[] ca = pa.split("/");
        String[] cb = pb.split("/");
        for (int i = 0; i < Math.min(ca.length, cb.length); i++) {
            int c = ModelTree.compareCodePoints(ca[i], cb[i]);
            if (c != 0) {
                return c;
            }
        }
        if (ca.length != cb.length) {
            return Integer.compare(ca.length, cb.length);
        }
        if (a != null && b != null) {
            return a.start() != b.start() ? Long.compare(a.start(), b.start()) : Long.compare(a.end(), b.end());
        }
        return 0;
    };
}

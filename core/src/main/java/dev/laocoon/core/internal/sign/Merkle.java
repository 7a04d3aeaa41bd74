package dev.laocoon.core.internal.sign;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.List;

/** RFC 6962 / RFC 9162 Merkle tree inclusion proofs (SHA-256, 0x00 leaf and 0x01 node prefixes). */
final class Merkle {
    private Merkle() {
    }

    /** The root a proof leads to, or null when the proof's shape does not fit the index and size. */
    static byte[] rootFromInclusionProof(long index, long size, byte[] leafHash, List<byte[]> proof) {
        if (index < 0 || size <= 0 || index >= size) {
            return null;
        }
        // RFC 9162 section 2.1.3.2
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] p : proof) {
            if (sn == 0) {
                return null;
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = node(p, r);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = node(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 ? r : null;
    }

    private static byte[] node(byte[] left, byte[] right) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((byte) 1);
            md.update(left);
            md.update(right);
            return md.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}

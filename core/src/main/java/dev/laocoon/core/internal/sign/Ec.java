package dev.laocoon.core.internal.sign;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;

/**
 * The three NIST prime curves OMS allows, and the scalar multiplication needed to derive the public
 * key of a PKCS#8 private key that does not carry it (the JDK has no API for that). Used only on
 * the signer's own key, once per signing.
 */
public final class Ec {
    private Ec() {
    }

    /** "secp256r1", "secp384r1" or "secp521r1"; anything else is refused. */
    public static String curveName(ECParameterSpec p) throws GeneralSecurityException {
        int bits = p.getCurve().getField().getFieldSize();
        String name = switch (bits) {
            case 256 -> "secp256r1";
            case 384 -> "secp384r1";
            case 521 -> "secp521r1";
            default -> null;
        };
        if (name == null || !Pem.params(name).getCurve().equals(p.getCurve())
                || !Pem.params(name).getGenerator().equals(p.getGenerator())) {
            throw new GeneralSecurityException("unsupported curve (only P-256, P-384 and P-521 are supported)");
        }
        return name;
    }

    /** The ECDSA signature algorithm OMS pairs with the curve (SHA-384 for P-384, SHA-512 for P-521). */
    public static String signatureAlgorithm(ECParameterSpec p) throws GeneralSecurityException {
        return switch (curveName(p)) {
            case "secp256r1" -> "SHA256withECDSA";
            case "secp384r1" -> "SHA384withECDSA";
            default -> "SHA512withECDSA";
        };
    }

    static String curveOfOid(byte[] oid) throws GeneralSecurityException {
        String hex = Hex.of(oid);
        return switch (hex) {
            case "2a8648ce3d030107" -> "secp256r1";
            case "2b81040022" -> "secp384r1";
            case "2b81040023" -> "secp521r1";
            default -> throw new GeneralSecurityException("unsupported curve (only P-256, P-384 and P-521 are supported)");
        };
    }

    static ECPoint decodePoint(byte[] enc, ECParameterSpec params) throws GeneralSecurityException {
        int n = (params.getCurve().getField().getFieldSize() + 7) / 8;
        if (enc.length != 1 + 2 * n || enc[0] != 4) {
            throw new GeneralSecurityException("only uncompressed EC points are supported");
        }
        BigInteger x = new BigInteger(1, java.util.Arrays.copyOfRange(enc, 1, 1 + n));
        BigInteger y = new BigInteger(1, java.util.Arrays.copyOfRange(enc, 1 + n, 1 + 2 * n));
        return new ECPoint(x, y);
    }

    /** k·G on a short-Weierstrass prime curve (Montgomery ladder over affine points). */
    static ECPoint multiplyG(BigInteger k, ECParameterSpec params) {
        BigInteger p = ((ECFieldFp) params.getCurve().getField()).getP();
        BigInteger a = params.getCurve().getA();
        ECPoint r0 = ECPoint.POINT_INFINITY;
        ECPoint r1 = params.getGenerator();
        for (int i = k.bitLength() - 1; i >= 0; i--) {
            if (k.testBit(i)) {
                r0 = add(r0, r1, p, a);
                r1 = add(r1, r1, p, a);
            } else {
                r1 = add(r0, r1, p, a);
                r0 = add(r0, r0, p, a);
            }
        }
        return r0;
    }

    private static ECPoint add(ECPoint s, ECPoint t, BigInteger p, BigInteger a) {
        if (s.equals(ECPoint.POINT_INFINITY)) {
            return t;
        }
        if (t.equals(ECPoint.POINT_INFINITY)) {
            return s;
        }
        BigInteger x1 = s.getAffineX();
        BigInteger y1 = s.getAffineY();
        BigInteger x2 = t.getAffineX();
        BigInteger y2 = t.getAffineY();
        BigInteger l;
        if (x1.equals(x2)) {
            if (!y1.equals(y2) || y1.signum() == 0) {
                return ECPoint.POINT_INFINITY;
            }
            l = x1.multiply(x1).multiply(BigInteger.valueOf(3)).add(a)
                    .multiply(y1.shiftLeft(1).modInverse(p)).mod(p);
        } else {
            l = y2.subtract(y1).multiply(x2.subtract(x1).modInverse(p)).mod(p);
        }
        BigInteger x3 = l.multiply(l).subtract(x1).subtract(x2).mod(p);
        BigInteger y3 = l.multiply(x1.subtract(x3)).subtract(y1).mod(p);
        return new ECPoint(x3, y3);
    }
}

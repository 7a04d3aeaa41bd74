package dev.laocoon.core.internal.sign;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * PEM reading for EC keys and X.509 certificates (PKCS#8 {@code PRIVATE KEY}, SEC1
 * {@code EC PRIVATE KEY}, {@code PUBLIC KEY}, {@code CERTIFICATE}), text around the blocks allowed,
 * and the PEM form of a public key that the reference implementation hashes into its key hint.
 */
public final class Pem {
    private Pem() {
    }

    /** One PEM block: its label and DER bytes. */
    public record Block(String label, byte[] der) {
    }

    /** An EC key pair read from a private-key PEM: the public half is derived when absent. */
    public record EcKeyPair(ECPrivateKey privateKey, ECPublicKey publicKey, String curve) {
    }

    public static List<Block> blocks(String text) throws GeneralSecurityException {
        List<Block> out = new ArrayList<>();
        int i = 0;
        while (true) {
            int b = text.indexOf("-----BEGIN ", i);
            if (b < 0) {
                break;
            }
            int le = text.indexOf("-----", b + 11);
            if (le < 0) {
                throw new GeneralSecurityException("unterminated PEM header");
            }
            String label = text.substring(b + 11, le);
            String end = "-----END " + label + "-----";
            int e = text.indexOf(end, le + 5);
            if (e < 0) {
                throw new GeneralSecurityException("PEM block '" + label + "' has no END line");
            }
            String body = text.substring(le + 5, e);
            StringBuilder b64 = new StringBuilder();
            for (String line : body.split("\r?\n")) {
                if (line.contains(":")) {
                    continue; // RFC 1421 headers (Proc-Type, DEK-Info)
                }
                b64.append(line.strip());
            }
            try {
                out.add(new Block(label, Base64.getDecoder().decode(b64.toString())));
            } catch (IllegalArgumentException ex) {
                throw new GeneralSecurityException("PEM block '" + label + "' is not valid base64");
            }
            i = e + end.length();
        }
        return out;
    }

    /** Reads an EC private key (PKCS#8 or SEC1). */
    public static EcKeyPair privateKey(String text) throws GeneralSecurityException {
        for (Block b : blocks(text)) {
            switch (b.label()) {
                case "PRIVATE KEY": {
                    PrivateKey k;
                    try {
                        k = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(b.der()));
                    } catch (GeneralSecurityException e) {
                        throw new GeneralSecurityException("not an EC private key (only P-256, P-384 and P-521 keys are supported)");
                    }
                    ECPrivateKey ek = (ECPrivateKey) k;
                    String curve = Ec.curveName(ek.getParams());
                    ECPoint embedded = Sec1.publicPointOfPkcs8(b.der(), ek.getParams());
                    return pair(ek, embedded, curve);
                }
                case "EC PRIVATE KEY": {
                    Sec1.Parsed p = Sec1.parse(b.der());
                    ECParameterSpec params = params(p.curve());
                    ECPrivateKey ek = (ECPrivateKey) KeyFactory.getInstance("EC")
                            .generatePrivate(new ECPrivateKeySpec(p.scalar(), params));
                    ECPoint embedded = p.publicKey() == null ? null : Ec.decodePoint(p.publicKey(), params);
                    return pair(ek, embedded, p.curve());
                }
                case "ENCRYPTED PRIVATE KEY":
                    throw new GeneralSecurityException("encrypted private keys are not supported; decrypt it first"
                            + " (openssl pkcs8 -in KEY -out PLAIN.pem)");
                default:
                    // EC PARAMETERS and other blocks before the key
            }
        }
        throw new GeneralSecurityException("no PRIVATE KEY or EC PRIVATE KEY PEM block found");
    }

    private static EcKeyPair pair(ECPrivateKey k, ECPoint embedded, String curve) throws GeneralSecurityException {
        ECPoint q = Ec.multiplyG(k.getS(), k.getParams());
        if (embedded != null && !embedded.equals(q)) {
            throw new GeneralSecurityException("the public key stored with the private key does not match it");
        }
        ECPublicKey pub = (ECPublicKey) KeyFactory.getInstance("EC")
                .generatePublic(new ECPublicKeySpec(q, k.getParams()));
        return new EcKeyPair(k, pub, curve);
    }

    /** Reads an EC public key ({@code PUBLIC KEY}, or the key of a {@code CERTIFICATE}). */
    public static ECPublicKey publicKey(String text) throws GeneralSecurityException {
        for (Block b : blocks(text)) {
            if (b.label().equals("PUBLIC KEY")) {
                return ecPublic(b.der());
            }
            if (b.label().equals("CERTIFICATE")) {
                PublicKey k = certificate(b.der()).getPublicKey();
                if (k instanceof ECPublicKey e) {
                    Ec.curveName(e.getParams());
                    return e;
                }
                throw new GeneralSecurityException("the certificate's key is not an EC key");
            }
        }
        throw new GeneralSecurityException("no PUBLIC KEY PEM block found");
    }

    public static ECPublicKey ecPublic(byte[] spki) throws GeneralSecurityException {
        PublicKey k;
        try {
            k = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException("not an EC public key (only P-256, P-384 and P-521 keys are supported)");
        }
        ECPublicKey e = (ECPublicKey) k;
        Ec.curveName(e.getParams());
        return e;
    }

    public static List<X509Certificate> certificates(String text) throws GeneralSecurityException {
        List<X509Certificate> out = new ArrayList<>();
        for (Block b : blocks(text)) {
            if (b.label().equals("CERTIFICATE")) {
                out.add(certificate(b.der()));
            }
        }
        return out;
    }

    public static X509Certificate certificate(byte[] der) throws GeneralSecurityException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new GeneralSecurityException("not a valid X.509 certificate");
        }
    }

    static ECParameterSpec params(String curve) throws GeneralSecurityException {
        AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
        ap.init(new ECGenParameterSpec(curve));
        return ap.getParameterSpec(ECParameterSpec.class);
    }

    /** The public key as PEM text, laid out as OpenSSL and Python's cryptography write it. */
    public static String publicKeyPem(PublicKey k) {
        String b64 = Base64.getEncoder().encodeToString(k.getEncoded());
        StringBuilder sb = new StringBuilder("-----BEGIN PUBLIC KEY-----\n");
        for (int i = 0; i < b64.length(); i += 64) {
            sb.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
        }
        return sb.append("-----END PUBLIC KEY-----\n").toString();
    }

    /** The key hint of the reference implementation: hex SHA-256 of {@link #publicKeyPem}. */
    public static String keyHint(PublicKey k) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(publicKeyPem(k).getBytes(StandardCharsets.US_ASCII));
            return Hex.of(d);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Minimal DER reading for SEC1 private keys (RFC 5915). */
    static final class Sec1 {
        record Parsed(BigInteger scalar, String curve, byte[] publicKey) {
        }

        static Parsed parse(byte[] der) throws GeneralSecurityException {
            Der seq = new Der(der, 0, der.length).enter(0x30);
            seq.expect(0x02); // version
            byte[] d = seq.expect(0x04);
            String curve = null;
            byte[] pub = null;
            while (seq.more()) {
                int tag = seq.peekTag();
                byte[] v = seq.expect(tag);
                if (tag == 0xa0) {
                    Der in = new Der(v, 0, v.length);
                    curve = Ec.curveOfOid(in.expect(0x06));
                } else if (tag == 0xa1) {
                    Der in = new Der(v, 0, v.length);
                    byte[] bits = in.expect(0x03);
                    pub = java.util.Arrays.copyOfRange(bits, 1, bits.length);
                }
            }
            if (curve == null) {
                throw new GeneralSecurityException("EC PRIVATE KEY without a named curve");
            }
            return new Parsed(new BigInteger(1, d), curve, pub);
        }

        /** The public point stored inside a PKCS#8 EC key's SEC1 structure, or null. */
        static ECPoint publicPointOfPkcs8(byte[] der, ECParameterSpec params) {
            try {
                Der seq = new Der(der, 0, der.length).enter(0x30);
                seq.expect(0x02);
                seq.expect(0x30);
                byte[] inner = seq.expect(0x04);
                Der s = new Der(inner, 0, inner.length).enter(0x30);
                s.expect(0x02);
                s.expect(0x04);
                while (s.more()) {
                    int tag = s.peekTag();
                    byte[] v = s.expect(tag);
                    if (tag == 0xa1) {
                        byte[] bits = new Der(v, 0, v.length).expect(0x03);
                        return Ec.decodePoint(java.util.Arrays.copyOfRange(bits, 1, bits.length), params);
                    }
                }
                return null;
            } catch (GeneralSecurityException | RuntimeException e) {
                return null;
            }
        }
    }

    /** A cursor over DER TLVs. */
    static final class Der {
        private final byte[] b;
        private int pos;
        private final int end;

        Der(byte[] b, int pos, int end) {
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        int peekTag() throws GeneralSecurityException {
            if (pos >= end) {
                throw new GeneralSecurityException("truncated DER");
            }
            return b[pos] & 0xff;
        }

        Der enter(int tag) throws GeneralSecurityException {
            int[] r = header(tag);
            Der d = new Der(b, r[0], r[0] + r[1]);
            pos = r[0] + r[1];
            return d;
        }

        byte[] expect(int tag) throws GeneralSecurityException {
            int[] r = header(tag);
            pos = r[0] + r[1];
            return java.util.Arrays.copyOfRange(b, r[0], r[0] + r[1]);
        }

        private int[] header(int tag) throws GeneralSecurityException {
            if (pos + 2 > end || (b[pos] & 0xff) != tag) {
                throw new GeneralSecurityException("malformed DER (expected tag " + Integer.toHexString(tag) + ")");
            }
            int p = pos + 1;
            int len = b[p++] & 0xff;
            if (len >= 0x80) {
                int n = len & 0x7f;
                if (n == 0 || n > 3 || p + n > end) {
                    throw new GeneralSecurityException("malformed DER length");
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | (b[p++] & 0xff);
                }
            }
            if (p + len > end) {
                throw new GeneralSecurityException("truncated DER");
            }
            return new int[] {p, len};
        }
    }
}

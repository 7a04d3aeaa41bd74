package dev.laocoon.core.internal.sign;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The key and certificate methods: who signed and whether the DSSE signature holds (the current
 * PAE, or the faulty one of model_signing v0.2).
 */
public final class KeyChecks {
    private KeyChecks() {
    }

    private static String text(JsonNode n, String field, String where) throws VerificationFailure {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new VerificationFailure(where + " has no '" + field + "'");
        }
        return v.asText();
    }

    private static byte[] base64(String s, String what) throws VerificationFailure {
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new VerificationFailure(what + " is not valid base64");
        }
    }

    public static String key(Path publicKey, JsonNode vm, String payloadType, byte[] payload, byte[] sig,
            List<String> notes, Path bundle) throws VerificationFailure, IOException, GeneralSecurityException {
        ECPublicKey key;
        try {
            key = Pem.publicKey(Files.readString(publicKey, StandardCharsets.ISO_8859_1));
        } catch (GeneralSecurityException e) {
            throw new IOException(publicKey + ": " + e.getMessage());
        }
        JsonNode pk = vm.get("publicKey");
        if (pk == null || !pk.isObject()) {
            throw new VerificationFailure("wrong verification method: " + bundle + " carries "
                    + (vm.has("x509CertificateChain") || vm.has("certificate") ? "a certificate" : "no key")
                    + ", not a public key (verify it with --certificate-chain or --trust-root)");
        }
        String hint = Pem.keyHint(key);
        String given = pk.path("hint").asText("");
        if (!given.isEmpty()) {
            if (!given.equalsIgnoreCase(hint)) {
                throw new VerificationFailure("wrong key: " + bundle + " was signed by the key with hint " + given + ", "
                        + publicKey + " has hint " + hint);
            }
        } else {
            notes.add("publicKey without hint (model_signing before v1.1)");
        }
        checkSignature(key, payloadType, payload, sig, notes, false,
                "signature does not verify with " + publicKey + " (wrong key, or the bundle was altered)");
        return "key " + hint;
    }

    static void checkSignature(java.security.PublicKey key, String payloadType, byte[] payload, byte[] sig,
            List<String> notes, boolean legacySha256, String failure) throws VerificationFailure, GeneralSecurityException {
        ECPublicKey ek = (ECPublicKey) key;
        String alg = Ec.signatureAlgorithm(ek.getParams());
        if (ecdsa(alg, key, Dsse.pae(payloadType, payload), sig)) {
            return;
        }
        byte[] legacy = Dsse.paeLegacy(payloadType, payload);
        if (ecdsa(alg, key, legacy, sig) || (legacySha256 && ecdsa("SHA256withECDSA", key, legacy, sig))) {
            notes.add("legacy PAE of model_signing v0.2");
            return;
        }
        throw new VerificationFailure(failure);
    }

    static boolean ecdsa(String alg, java.security.PublicKey key, byte[] data, byte[] sig)
            throws GeneralSecurityException {
        java.security.Signature s = java.security.Signature.getInstance(alg);
        s.initVerify(key);
        s.update(data);
        try {
            return s.verify(sig);
        } catch (java.security.SignatureException e) {
            return false; // not a DER ECDSA signature
        }
    }

    public static String certificate(List<Path> trusted, JsonNode vm, String payloadType, byte[] payload,
            byte[] sig, List<String> notes, Path bundle, Instant when) throws VerificationFailure, IOException, GeneralSecurityException {
        Set<TrustAnchor> anchors = new HashSet<>();
        for (Path p : trusted) {
            List<X509Certificate> cs;
            try {
                cs = Pem.certificates(Files.readString(p, StandardCharsets.ISO_8859_1));
            } catch (GeneralSecurityException e) {
                throw new IOException(p + ": " + e.getMessage());
            }
            if (cs.isEmpty()) {
                throw new IOException(p + ": no CERTIFICATE PEM block found");
            }
            for (X509Certificate x : cs) {
                anchors.add(new TrustAnchor(x, null));
            }
        }
        JsonNode chainNode = vm.path("x509CertificateChain").path("certificates");
        if (!chainNode.isArray() || chainNode.isEmpty()) {
            throw new VerificationFailure("wrong verification method: " + bundle + " carries "
                    + (vm.has("publicKey") ? "a public key" : vm.has("certificate") ? "a Sigstore certificate" : "no certificate chain")
                    + ", not a certificate chain (verify it with "
                    + (vm.has("publicKey") ? "--public-key" : "--trust-root") + ")");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (JsonNode n : chainNode) {
            byte[] der = base64(text(n, "rawBytes", "bundle " + bundle + " certificate"), "bundle certificate");
            try {
                chain.add(Pem.certificate(der));
            } catch (GeneralSecurityException e) {
                throw new VerificationFailure("malformed bundle: " + bundle + ": a certificate of the chain is not valid X.509");
            }
        }
        X509Certificate leaf = chain.get(0);
        for (X509Certificate x : chain) {
            try {
                x.checkValidity(Date.from(when));
            } catch (CertificateExpiredException e) {
                throw new VerificationFailure("expired certificate: '" + x.getSubjectX500Principal().getName() + "' in " + bundle
                        + " expired on " + x.getNotAfter().toInstant());
            } catch (CertificateNotYetValidException e) {
                throw new VerificationFailure("certificate not yet valid: '" + x.getSubjectX500Principal().getName() + "' in "
                        + bundle + " is valid from " + x.getNotBefore().toInstant());
            }
        }
        Set<TrustAnchor> valid = new HashSet<>();
        X509Certificate expiredCa = null;
        for (TrustAnchor a : anchors) {
            try {
                a.getTrustedCert().checkValidity(Date.from(when));
                valid.add(a);
            } catch (CertificateExpiredException | CertificateNotYetValidException e) {
                expiredCa = a.getTrustedCert();
            }
        }
        if (valid.isEmpty()) {
            throw new VerificationFailure("expired certificate: the trusted CA '" + expiredCa.getSubjectX500Principal().getName()
                    + "' is not valid at " + when);
        }
        anchors = valid;
        X509CertSelector target = new X509CertSelector();
        target.setCertificate(leaf);
        PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, target);
        params.setRevocationEnabled(false);
        params.setDate(Date.from(when));
        params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(chain)));
        try {
            CertPathBuilder.getInstance("PKIX").build(params);
        } catch (CertPathBuilderException e) {
            throw new VerificationFailure("untrusted certificate: no valid chain from '" + leaf.getSubjectX500Principal().getName()
                    + "' in " + bundle + " to the CA certificates given with --certificate-chain");
        }
        boolean[] ku = leaf.getKeyUsage();
        List<String> eku = leaf.getExtendedKeyUsage();
        if (ku == null && eku == null) {
            throw new VerificationFailure("certificate '" + leaf.getSubjectX500Principal().getName()
                    + "' states no key usage; a signing certificate needs digitalSignature or codeSigning");
        }
        if (ku != null && !ku[0]) {
            throw new VerificationFailure("certificate '" + leaf.getSubjectX500Principal().getName()
                    + "' may not sign (its key usage lacks digitalSignature)");
        }
        if (eku != null && !eku.contains("1.3.6.1.5.5.7.3.3") && !eku.contains("2.5.29.37.0")) {
            throw new VerificationFailure("certificate '" + leaf.getSubjectX500Principal().getName()
                    + "' is not for code signing (its extended key usage lacks codeSigning)");
        }
        if (!(leaf.getPublicKey() instanceof ECPublicKey)) {
            throw new VerificationFailure("certificate '" + leaf.getSubjectX500Principal().getName() + "' does not hold an EC key");
        }
        checkSignature(leaf.getPublicKey(), payloadType, payload, sig, notes, true,
                "signature does not verify with the certificate '" + leaf.getSubjectX500Principal().getName()
                        + "' (the bundle was altered)");
        return leaf.getSubjectX500Principal().getName();
    }
}

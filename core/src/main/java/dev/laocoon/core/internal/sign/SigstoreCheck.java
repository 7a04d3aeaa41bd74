package dev.laocoon.core.internal.sign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Offline verification of a Sigstore keyless bundle against a trusted root file: the Fulcio
 * certificate chain at the log's integration time, the certificate's identity (SAN) and OIDC issuer
 * extension, the DSSE signature, and the Rekor entry (body matching the envelope, signed entry
 * timestamp, Merkle inclusion proof, signed checkpoint). Not checked: the certificate's embedded
 * SCTs (CT log) and RFC 3161 timestamps; the result says so.
 */
public final class SigstoreCheck {
    private static final String OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8";
    private static final String OID_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1";
    private static final ObjectMapper JSON = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    private SigstoreCheck() {
    }

    /** Who signed ("identity (issuer)") and what was and was not checked. */
    public record Verified(String identity, List<String> notes) {
    }

    private record Log(byte[] keyId, PublicKey key, Instant start, Instant end) {
    }

    private record Ca(List<X509Certificate> chain, Instant start, Instant end) {
    }

    private record Root(List<Ca> cas, List<Log> tlogs) {
    }

    public static Verified verify(Path trustedRoot, String identity, String issuer, String bundleVersion,
            JsonNode vm, String payloadType, byte[] payload, byte[] sig, Path bundle) throws VerificationFailure, IOException {
        Root root = readRoot(trustedRoot);
        List<String> notes = new ArrayList<>();

        // the Fulcio certificate: 'certificate' from bundle v0.3, the chain's first before
        JsonNode certNode = vm.path("certificate").path("rawBytes");
        if (certNode.isMissingNode() || !certNode.isTextual()) {
            if (bundleVersion.equals("0.3") || !vm.path("x509CertificateChain").path("certificates").isArray()) {
                throw new VerificationFailure("wrong verification method: " + bundle + " has no Sigstore certificate"
                        + (vm.has("publicKey") ? " (it is a key-method bundle: verify it with --public-key)"
                        : vm.has("x509CertificateChain") ? " (a v0.3 bundle with x509CertificateChain is a"
                        + " certificate-method bundle: verify it with --certificate-chain)" : ""));
            }
            certNode = vm.path("x509CertificateChain").path("certificates").path(0).path("rawBytes");
        }
        X509Certificate leaf;
        try {
            leaf = Pem.certificate(Base64.getDecoder().decode(certNode.asText()));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new VerificationFailure("malformed bundle: " + bundle + ": the Sigstore certificate is not valid X.509");
        }

        // the transparency log entry gives the signing time
        JsonNode entries = vm.path("tlogEntries");
        if (!entries.isArray() || entries.isEmpty()) {
            throw new VerificationFailure("malformed bundle: " + bundle + " has no transparency log entry (tlogEntries)");
        }
        if (entries.size() != 1) {
            throw new VerificationFailure("malformed bundle: " + bundle + " has " + entries.size()
                    + " transparency log entries (Laocoon verifies bundles with one)");
        }
        JsonNode entry = entries.get(0);
        Instant integrated = checkEntry(entry, root, bundleVersion, leaf, payload, sig, bundle, notes);

        // the certificate chain at that time
        try {
            leaf.checkValidity(Date.from(integrated));
        } catch (GeneralSecurityException e) {
            throw new VerificationFailure("expired certificate: the Fulcio certificate in " + bundle + " (valid "
                    + leaf.getNotBefore().toInstant() + " to " + leaf.getNotAfter().toInstant()
                    + ") was not valid when the log integrated the entry (" + integrated + ")");
        }
        checkChain(leaf, root, integrated, bundle);
        List<String> eku;
        try {
            eku = leaf.getExtendedKeyUsage();
        } catch (java.security.cert.CertificateParsingException e) {
            eku = null;
        }
        if (eku == null || !eku.contains("1.3.6.1.5.5.7.3.3")) {
            throw new VerificationFailure("the Fulcio certificate in " + bundle + " is not for code signing");
        }
        boolean[] ku = leaf.getKeyUsage();
        if (ku == null || !ku[0]) {
            throw new VerificationFailure("the Fulcio certificate in " + bundle + " may not sign (no digitalSignature key usage)");
        }

        // who
        List<String> sans = sans(leaf);
        if (!sans.contains(identity)) {
            throw new VerificationFailure("wrong identity: " + bundle + " was signed by " + (sans.isEmpty() ? "no identity"
                    : String.join(", ", sans)) + ", not " + identity);
        }
        String certIssuer = issuer(leaf);
        if (certIssuer == null) {
            throw new VerificationFailure("the Fulcio certificate in " + bundle + " names no OIDC issuer");
        }
        if (!certIssuer.equals(issuer)) {
            throw new VerificationFailure("wrong issuer: the identity " + identity + " in " + bundle + " was vouched for by "
                    + certIssuer + ", not " + issuer);
        }

        // the DSSE signature with the certificate's key
        try {
            if (!(leaf.getPublicKey() instanceof ECPublicKey ek)) {
                throw new VerificationFailure("the Fulcio certificate in " + bundle + " holds no EC key");
            }
            Signature s = Signature.getInstance(Ec.signatureAlgorithm(ek.getParams()));
            s.initVerify(ek);
            s.update(Dsse.pae(payloadType, payload));
            boolean ok;
            try {
                ok = s.verify(sig);
            } catch (java.security.SignatureException e) {
                ok = false;
            }
            if (!ok) {
                throw new VerificationFailure("signature does not verify with the Fulcio certificate in " + bundle
                        + " (the bundle was altered)");
            }
        } catch (GeneralSecurityException e) {
            throw new VerificationFailure("signature cannot be checked: " + e.getMessage());
        }
        notes.add("not checked: certificate transparency SCTs, RFC 3161 timestamps");
        return new Verified(identity + " (" + certIssuer + ")", notes);
    }

    // ------------------------------------------------------------------ trusted root

    private static Root readRoot(Path file) throws IOException, VerificationFailure {
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not a valid trusted root (" + e.getOriginalMessage() + ")");
        }
        if (n != null && n.has("trustedRoot")) {
            n = n.get("trustedRoot"); // a client trust config
        }
        if (n == null || !n.isObject() || !n.path("mediaType").asText("").startsWith("application/vnd.dev.sigstore.trustedroot")) {
            throw new IOException(file + ": not a Sigstore trusted root (mediaType application/vnd.dev.sigstore.trustedroot+json)");
        }
        List<Ca> cas = new ArrayList<>();
        for (JsonNode ca : n.path("certificateAuthorities")) {
            List<X509Certificate> chain = new ArrayList<>();
            try {
                for (JsonNode c : ca.path("certChain").path("certificates")) {
                    chain.add(Pem.certificate(Base64.getDecoder().decode(c.path("rawBytes").asText())));
                }
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new IOException(file + ": a certificate authority's chain is not valid X.509");
            }
            if (!chain.isEmpty()) {
                cas.add(new Ca(chain, time(ca.path("validFor").path("start"), file), time(ca.path("validFor").path("end"), file)));
            }
        }
        List<Log> logs = new ArrayList<>();
        for (JsonNode l : n.path("tlogs")) {
            JsonNode pk = l.path("publicKey");
            try {
                byte[] der = Base64.getDecoder().decode(pk.path("rawBytes").asText());
                PublicKey key = Pem.ecPublic(der);
                byte[] id = Base64.getDecoder().decode(l.path("logId").path("keyId").asText());
                logs.add(new Log(id, key, time(pk.path("validFor").path("start"), file),
                        time(pk.path("validFor").path("end"), file)));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // a log whose key Laocoon cannot use (not EC) is left out: its entries fail
            }
        }
        if (cas.isEmpty() || logs.isEmpty()) {
            throw new IOException(file + ": the trusted root has no " + (cas.isEmpty() ? "certificate authority" : "usable transparency log"));
        }
        return new Root(cas, logs);
    }

    private static Instant time(JsonNode n, Path file) throws IOException {
        if (n.isMissingNode() || n.isNull()) {
            return null;
        }
        try {
            return Instant.parse(n.asText());
        } catch (DateTimeParseException e) {
            throw new IOException(file + ": bad time '" + n.asText() + "'");
        }
    }

    private static boolean within(Instant t, Instant start, Instant end) {
        return (start == null || !t.isBefore(start)) && (end == null || !t.isAfter(end));
    }

    // ------------------------------------------------------------------ certificate

    private static void checkChain(X509Certificate leaf, Root root, Instant when, Path bundle) throws VerificationFailure {
        Set<TrustAnchor> anchors = new HashSet<>();
        List<X509Certificate> intermediates = new ArrayList<>();
        intermediates.add(leaf);
        for (Ca ca : root.cas()) {
            if (!within(when, ca.start(), ca.end())) {
                continue;
            }
            List<X509Certificate> ch = ca.chain();
            anchors.add(new TrustAnchor(ch.get(ch.size() - 1), null));
            intermediates.addAll(ch.subList(0, ch.size() - 1));
        }
        if (anchors.isEmpty()) {
            throw new VerificationFailure("untrusted certificate: no certificate authority of the trusted root was valid at "
                    + when);
        }
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(leaf);
            PKIXBuilderParameters p = new PKIXBuilderParameters(anchors, target);
            p.setRevocationEnabled(false);
            p.setDate(Date.from(when));
            p.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(intermediates)));
            CertPathBuilder.getInstance("PKIX").build(p);
        } catch (CertPathBuilderException e) {
            throw new VerificationFailure("untrusted certificate: the Fulcio certificate in " + bundle
                    + " does not chain to a certificate authority of the trusted root at " + when);
        } catch (GeneralSecurityException e) {
            throw new VerificationFailure("untrusted certificate: " + e.getMessage());
        }
    }

    private static List<String> sans(X509Certificate c) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> names = c.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> n : names) {
                    int type = (Integer) n.get(0);
                    if ((type == 1 || type == 6) && n.get(1) instanceof String s) {
                        out.add(s); // rfc822Name, uniformResourceIdentifier
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            // no readable SAN: no identity
        }
        return out;
    }

    static String issuer(X509Certificate c) {
        byte[] v2 = c.getExtensionValue(OID_ISSUER_V2);
        try {
            if (v2 != null) {
                byte[] inner = new Pem.Der(v2, 0, v2.length).expect(0x04);
                return new String(new Pem.Der(inner, 0, inner.length).expect(0x0c), StandardCharsets.UTF_8);
            }
            byte[] v1 = c.getExtensionValue(OID_ISSUER_V1);
            if (v1 != null) {
                return new String(new Pem.Der(v1, 0, v1.length).expect(0x04), StandardCharsets.UTF_8);
            }
        } catch (GeneralSecurityException e) {
            return null;
        }
        return null;
    }

    // ------------------------------------------------------------------ transparency log

    private static Instant checkEntry(JsonNode e, Root root, String bundleVersion, X509Certificate leaf, byte[] payload,
            byte[] sig, Path bundle, List<String> notes) throws VerificationFailure {
        String where = "the transparency log entry of " + bundle;
        byte[] keyId = b64(e.path("logId").path("keyId"), where + " logId");
        Log log = null;
        for (Log l : root.tlogs()) {
            if (Arrays.equals(l.keyId(), keyId)) {
                log = l;
            }
        }
        if (log == null) {
            throw new VerificationFailure("untrusted log: " + where + " comes from a log the trusted root does not list");
        }
        long integratedTime = number(e.path("integratedTime"), where + " integratedTime");
        long logIndex = number(e.path("logIndex"), where + " logIndex");
        Instant when = Instant.ofEpochSecond(integratedTime);
        if (!within(when, log.start(), log.end())) {
            throw new VerificationFailure("untrusted log: the log key was not valid at the entry's time " + when);
        }
        String kind = e.path("kindVersion").path("kind").asText("");
        String version = e.path("kindVersion").path("version").asText("");
        if (!kind.equals("dsse") || !version.equals("0.0.1")) {
            throw new VerificationFailure("unsupported log entry in " + bundle + ": kind " + kind + " " + version
                    + " (Laocoon verifies dsse 0.0.1)");
        }
        String bodyB64 = e.path("canonicalizedBody").asText("");
        byte[] body = b64(e.path("canonicalizedBody"), where + " canonicalizedBody");

        // the entry is about this envelope: its payload hash, signature and certificate
        JsonNode b;
        try {
            b = JSON.readTree(body);
        } catch (IOException x) {
            throw new VerificationFailure("malformed bundle: " + where + " has a body that is not JSON");
        }
        if (!b.path("kind").asText("").equals("dsse") || !b.path("apiVersion").asText("").equals("0.0.1")) {
            throw new VerificationFailure("malformed bundle: " + where + " body is not a dsse 0.0.1 entry");
        }
        JsonNode spec = b.path("spec");
        String payloadHash = spec.path("payloadHash").path("value").asText("");
        if (!spec.path("payloadHash").path("algorithm").asText("").equals("sha256")
                || !payloadHash.equals(Hex.of(sha256(payload)))) {
            throw new VerificationFailure("log entry mismatch: " + where + " records another payload");
        }
        JsonNode sigs = spec.path("signatures");
        if (!sigs.isArray() || sigs.size() != 1) {
            throw new VerificationFailure("log entry mismatch: " + where + " does not record exactly one signature");
        }
        byte[] loggedSig = b64(sigs.get(0).path("signature"), where + " signature");
        byte[] verifier = b64(sigs.get(0).path("verifier"), where + " verifier");
        X509Certificate loggedCert;
        try {
            List<X509Certificate> cs = Pem.certificates(new String(verifier, StandardCharsets.US_ASCII));
            loggedCert = cs.isEmpty() ? null : cs.get(0);
            if (!Arrays.equals(loggedSig, sig) || loggedCert == null || !Arrays.equals(loggedCert.getEncoded(), leaf.getEncoded())) {
                throw new VerificationFailure("log entry mismatch: " + where + " records another signature or certificate");
            }
        } catch (GeneralSecurityException x) {
            throw new VerificationFailure("log entry mismatch: " + where + " records an unreadable certificate");
        }

        // the log's promise: a signed entry timestamp over body, time, log id and index
        JsonNode set = e.path("inclusionPromise").path("signedEntryTimestamp");
        boolean haveSet = set.isTextual();
        if (haveSet) {
            String canonical = "{\"body\":" + jsonString(bodyB64) + ",\"integratedTime\":" + integratedTime
                    + ",\"logID\":\"" + Hex.of(keyId) + "\",\"logIndex\":" + logIndex + "}";
            if (!ecdsa(log.key(), canonical.getBytes(StandardCharsets.UTF_8), b64(set, where + " signedEntryTimestamp"))) {
                throw new VerificationFailure("bad log promise: the signed entry timestamp of " + where + " does not verify with"
                        + " the log's key");
            }
        }

        // the inclusion proof up to a checkpoint signed by the log
        JsonNode proof = e.path("inclusionProof");
        if (proof.isObject()) {
            long index = number(proof.path("logIndex"), where + " inclusionProof.logIndex");
            long size = number(proof.path("treeSize"), where + " inclusionProof.treeSize");
            byte[] rootHash = b64(proof.path("rootHash"), where + " inclusionProof.rootHash");
            List<byte[]> hashes = new ArrayList<>();
            for (JsonNode h : proof.path("hashes")) {
                hashes.add(b64(h, where + " inclusionProof.hashes"));
            }
            byte[] leafHash = merkleLeaf(body);
            byte[] computed = Merkle.rootFromInclusionProof(index, size, leafHash, hashes);
            if (computed == null || !Arrays.equals(computed, rootHash)) {
                throw new VerificationFailure("bad inclusion proof: " + where + " is not in the log tree it names");
            }
            String checkpoint = proof.path("checkpoint").path("envelope").asText(null);
            if (checkpoint == null) {
                throw new VerificationFailure("bad inclusion proof: " + where + " has no checkpoint");
            }
            checkCheckpoint(checkpoint, log, size, rootHash, where);
        } else if (!bundleVersion.equals("0.1")) {
            throw new VerificationFailure("malformed bundle: " + where + " has no inclusion proof (required from bundle v0.2 on)");
        } else {
            notes.add("no inclusion proof (bundle v0.1): the signed entry timestamp alone was checked");
        }
        if (!haveSet && !proof.isObject()) {
            throw new VerificationFailure("malformed bundle: " + where + " has neither a signed entry timestamp nor an inclusion proof");
        }
        if (!haveSet) {
            // without the promise, integratedTime is not signed: Laocoon has no other time source
            throw new VerificationFailure("unverifiable time: " + where + " has no signed entry timestamp and Laocoon does not"
                    + " check RFC 3161 timestamps");
        }
        return when;
    }

    private static void checkCheckpoint(String note, Log log, long size, byte[] rootHash, String where) throws VerificationFailure {
        int sep = note.indexOf("\n\n");
        if (sep < 0) {
            throw new VerificationFailure("bad checkpoint: " + where + " has a checkpoint without signatures");
        }
        String text = note.substring(0, sep + 1);
        String[] lines = text.split("\n");
        if (lines.length < 3 || !lines[1].equals(Long.toString(size))
                || !Arrays.equals(rootHash, Base64.getDecoder().decode(lines[2].trim()))) {
            throw new VerificationFailure("bad checkpoint: " + where + " has a checkpoint for another tree than its proof");
        }
        String origin = lines[0];
        String name = origin.contains(" - ") ? origin.substring(0, origin.indexOf(" - ")) : origin;
        boolean ok = false;
        for (String line : note.substring(sep + 2).split("\n")) {
            if (!line.startsWith("\u2014 ")) {
                continue;
            }
            String[] parts = line.substring(2).split(" ");
            if (parts.length != 2 || !parts[0].equals(name)) {
                continue;
            }
            byte[] s;
            try {
                s = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException x) {
                continue;
            }
            if (s.length < 5 || !Arrays.equals(Arrays.copyOf(s, 4), Arrays.copyOf(log.keyId(), 4))) {
                continue;
            }
            if (ecdsa(log.key(), text.getBytes(StandardCharsets.UTF_8), Arrays.copyOfRange(s, 4, s.length))) {
                ok = true;
            }
        }
        if (!ok) {
            throw new VerificationFailure("bad checkpoint: the checkpoint of " + where + " is not signed by the log's key");
        }
    }

    private static byte[] merkleLeaf(byte[] body) {
        byte[] in = new byte[body.length + 1];
        System.arraycopy(body, 0, in, 1, body.length);
        return sha256(in);
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean ecdsa(PublicKey key, byte[] data, byte[] sig) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initVerify(key);
            s.update(data);
            return s.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] b64(JsonNode n, String what) throws VerificationFailure {
        if (!n.isTextual()) {
            throw new VerificationFailure("malformed bundle: " + what + " is missing");
        }
        try {
            return Base64.getDecoder().decode(n.asText());
        } catch (IllegalArgumentException e) {
            throw new VerificationFailure("malformed bundle: " + what + " is not valid base64");
        }
    }

    private static long number(JsonNode n, String what) throws VerificationFailure {
        if (n.isIntegralNumber() && n.canConvertToLong()) {
            return n.asLong();
        }
        if (n.isTextual() && n.asText().matches("[0-9]{1,19}")) {
            try {
                return Long.parseLong(n.asText());
            } catch (NumberFormatException e) {
                // too large
            }
        }
        throw new VerificationFailure("malformed bundle: " + what + " is not a number");
    }

    private static String jsonString(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

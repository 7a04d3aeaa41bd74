package dev.laocoon.core.sign;

import com.fasterxml.jackson.databind.JsonNode;
import dev.laocoon.core.internal.sign.Dsse;
import dev.laocoon.core.internal.sign.Ec;
import dev.laocoon.core.internal.sign.Hashing;
import dev.laocoon.core.internal.sign.BundleWriter;
import dev.laocoon.core.internal.sign.Hex;
import dev.laocoon.core.internal.sign.KeyChecks;
import dev.laocoon.core.internal.sign.Oms;
import dev.laocoon.core.internal.sign.VerificationFailure;
import dev.laocoon.core.internal.sign.ModelTree;
import dev.laocoon.core.internal.sign.Pem;
import dev.laocoon.core.internal.sign.ShardName;
import dev.laocoon.core.internal.sign.SigstoreCheck;
import dev.laocoon.core.sign.Manifests.Fail;
import dev.laocoon.core.sign.Manifests.Manifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Signs models into OMS v1.0 bundles and verifies OMS bundles (key, certificate and Sigstore
 * keyless), accepting every shape the reference implementation has written since v0.2.
 */
public final class Signatures {
    public static final String BUNDLE_MEDIA_TYPE = Oms.BUNDLE_MEDIA_TYPE;
    public static final String PAYLOAD_TYPE = Oms.PAYLOAD_TYPE;
    public static final String STATEMENT_TYPE = Oms.STATEMENT_TYPE;
    public static final String PREDICATE_TYPE = Oms.PREDICATE_TYPE;
    /** The predicate of model_signing v0.2 (digests in the subjects), accepted when verifying. */
    public static final String PREDICATE_TYPE_V01 = Oms.PREDICATE_TYPE_V01;

    /** Sigstore bundle media types accepted when verifying, with their bundle version. */
    private static final Map<String, String> MEDIA_TYPES = Map.of(
            "application/vnd.dev.sigstore.bundle+json;version=0.1", "0.1",
            "application/vnd.dev.sigstore.bundle+json;version=0.2", "0.2",
            "application/vnd.dev.sigstore.bundle+json;version=0.3", "0.3",
            BUNDLE_MEDIA_TYPE, "0.3");

    private static final long MAX_BUNDLE = 64L << 20;

    private Signatures() {
    }

    // ------------------------------------------------------------------ sign

    public static SignResult sign(SignRequest r) throws IOException, SignException {
        if (!r.hashAlgorithm().equals("sha256") && !r.hashAlgorithm().equals("blake2b")) {
            throw new SignException("unsupported hash '" + r.hashAlgorithm() + "' (expected sha256 or blake2b)");
        }
        if (r.shardSize() < 0) {
            throw new SignException("shard size must be positive");
        }
        Pem.EcKeyPair kp;
        try {
            kp = Pem.privateKey(Files.readString(r.privateKey(), StandardCharsets.ISO_8859_1));
        } catch (GeneralSecurityException e) {
            throw new SignException(r.privateKey() + ": " + e.getMessage());
        }
        List<X509Certificate> chain = new ArrayList<>();
        if (r.signingCertificate() != null) {
            try {
                List<X509Certificate> leaf = Pem.certificates(Files.readString(r.signingCertificate(),
                        StandardCharsets.ISO_8859_1));
                if (leaf.isEmpty()) {
                    throw new SignException(r.signingCertificate() + ": no CERTIFICATE PEM block found");
                }
                if (!leaf.get(0).getPublicKey().equals(kp.publicKey())) {
                    throw new SignException(r.signingCertificate()
                            + ": the certificate's public key does not match the private key");
                }
                chain.add(leaf.get(0));
                for (Path p : r.certificateChain()) {
                    List<X509Certificate> cs = Pem.certificates(Files.readString(p, StandardCharsets.ISO_8859_1));
                    if (cs.isEmpty()) {
                        throw new SignException(p + ": no CERTIFICATE PEM block found");
                    }
                    chain.addAll(cs);
                }
            } catch (GeneralSecurityException e) {
                throw new SignException(e.getMessage());
            }
        } else if (!r.certificateChain().isEmpty()) {
            throw new SignException("--certificate-chain needs --signing-certificate");
        }

        if (Files.exists(r.bundle()) && Files.exists(r.model()) && Files.isSameFile(r.bundle(), r.model())) {
            throw new SignException("the bundle " + r.bundle() + " would overwrite the model; write it elsewhere");
        }
        Model m = enumerate(r.model(), r.bundle(), r.ignorePaths(), r.allowSymlinks());
        if (m.entries.isEmpty()) {
            throw new SignException("nothing to sign: " + r.model() + " has no files (after exclusions)");
        }
        boolean dot = r.referenceLayout() && m.singleFile;
        List<Hashing.Range> ranges = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (ModelTree.Entry e : m.entries) {
            String name = dot ? "." : e.name();
            if (r.shardSize() == 0) {
                ranges.add(new Hashing.Range(e.path(), 0, -1));
                names.add(name);
            } else {
                for (long s = 0; s < e.size(); s += r.shardSize()) {
                    long end = Math.min(e.size(), s + r.shardSize());
                    ranges.add(new Hashing.Range(e.path(), s, end));
                    names.add(name + ":" + s + ":" + end);
                }
            }
        }
        List<Hashing.Digest> ds = Hashing.hash(ranges, r.hashAlgorithm(), r.threads());
        List<Resource> res = new ArrayList<>();
        long bytes = 0;
        // the reference tools name shard digests "<hash>-sharded-<size>" and compare that name too
        String alg = r.referenceLayout() && r.shardSize() > 0 ? r.hashAlgorithm() + "-sharded-" + r.shardSize()
                : r.hashAlgorithm();
        for (int i = 0; i < ranges.size(); i++) {
            Hashing.Range rg = ranges.get(i);
            if (rg.end() >= 0 && ds.get(i).bytes() != rg.end() - rg.start()) {
                throw new IOException(rg.path() + ": the file changed while it was hashed");
            }
            bytes += ds.get(i).bytes();
            res.add(new Resource(names.get(i), alg, Hex.of(ds.get(i).value())));
        }
        res.sort(r.referenceLayout() ? (x, y) -> ShardName.REFERENCE_ORDER.compare(x.name(), y.name())
                : (x, y) -> ModelTree.compareCodePoints(x.name(), y.name()));
        String root = rootDigest(res);
        String subjectName = m.name;

        List<String> ignores = new ArrayList<>(ModelTree.DEFAULT_IGNORES);
        for (String s : m.userIgnores) {
            if (!ignores.contains(s)) {
                ignores.add(s);
            }
        }
        byte[] payload = BundleWriter.statement(subjectName, root, triples(res), r.hashAlgorithm(), r.shardSize(), r.allowSymlinks(), ignores);
        byte[] sig;
        try {
            java.security.Signature s = java.security.Signature.getInstance(
                    Ec.signatureAlgorithm(kp.privateKey().getParams()));
            s.initSign(kp.privateKey());
            s.update(Dsse.pae(PAYLOAD_TYPE, payload));
            sig = s.sign();
        } catch (GeneralSecurityException e) {
            throw new SignException("signing failed: " + e.getMessage());
        }
        String hint = Pem.keyHint(kp.publicKey());
        byte[] bundle = BundleWriter.bundleJson(payload, sig, chain.isEmpty() ? hint : null, chain);
        Path out = r.bundle().toAbsolutePath();
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp" + ProcessHandle.current().pid());
        Files.write(tmp, bundle);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new SignResult(r.bundle(), chain.isEmpty() ? "key" : "certificate", subjectName, root, res, hint, bytes);
    }

    private static List<String[]> triples(List<Resource> res) {
        List<String[]> out = new ArrayList<>();
        for (Resource x : res) {
            out.add(new String[] {x.name(), x.algorithm(), x.digest()});
        }
        return out;
    }

    static String rootDigest(List<Resource> res) {
        List<String> hex = new ArrayList<>();
        for (Resource x : res) {
            hex.add(x.digest());
        }
        return BundleWriter.rootDigest(hex);
    }

    // ------------------------------------------------------------------ model enumeration

    private static final class Model {
        String name;
        boolean singleFile;
        List<ModelTree.Entry> entries;
        List<String> userIgnores = new ArrayList<>();
        Set<String> allIgnores = new LinkedHashSet<>();
    }

    private static Model enumerate(Path model, Path bundle, List<String> userIgnores, boolean symlinks)
            throws IOException, SignException {
        return enumerate(model, bundle, userIgnores, List.of(), symlinks, SignException::new,
                "signing with symbolic links needs --allow-symlinks");
    }

    private interface Failure<E extends Exception> {
        E make(String message);
    }

    private static <E extends Exception> Model enumerate(Path model, Path bundle, List<String> userIgnores,
            List<String> signedIgnores, boolean symlinks, Failure<E> fail, String linkHint) throws IOException, E {
        if (!Files.exists(model, LinkOption.NOFOLLOW_LINKS)) {
            throw new java.nio.file.NoSuchFileException(model.toString(), null, "no such file or directory");
        }
        Model m = new Model();
        Path abs = model.toAbsolutePath().normalize();
        m.name = abs.getFileName() == null ? "model" : abs.getFileName().toString();
        if (Files.isSymbolicLink(model) && !symlinks) {
            throw fail.make("symbolic link refused: " + model + " (" + linkHint + ")");
        }
        if (Files.isRegularFile(model)) {
            m.singleFile = true;
            m.entries = List.of(new ModelTree.Entry(m.name, model, Files.size(model)));
            return m;
        }
        if (!Files.isDirectory(model)) {
            throw fail.make("not a regular file or directory: " + model);
        }
        for (String s : userIgnores) {
            String rel = ModelTree.relativeIgnore(model, s);
            if (rel != null && !m.userIgnores.contains(rel)) {
                m.userIgnores.add(rel);
            }
        }
        if (bundle != null) {
            String rel = ModelTree.relativeIgnore(abs, bundle.toAbsolutePath().normalize().toString());
            if (rel != null && !m.userIgnores.contains(rel)) {
                m.userIgnores.add(rel);
            }
        }
        m.allIgnores.addAll(ModelTree.DEFAULT_IGNORES);
        m.allIgnores.addAll(m.userIgnores);
        for (String s : signedIgnores) {
            String c = ModelTree.canonical(s);
            if (c != null) {
                m.allIgnores.add(c);
            }
        }
        try {
            m.entries = ModelTree.list(model, m.allIgnores, symlinks, linkHint);
        } catch (ModelTree.TreeException e) {
            throw fail.make(e.getMessage());
        }
        return m;
    }

    // ------------------------------------------------------------------ verify

    /**
     * Verifies {@code r.model()} against {@code r.bundle()}. Verification failures come back as a
     * result with {@code verified == false}; an unreadable model or bundle file is an IOException.
     */
    public static VerifyResult verify(VerifyRequest r) throws IOException {
        if (!Files.exists(r.model(), LinkOption.NOFOLLOW_LINKS)) {
            throw new java.nio.file.NoSuchFileException(r.model().toString(), null, "no such file or directory");
        }
        if (Files.size(r.bundle()) > MAX_BUNDLE) {
            return VerifyResult.failed(r.trust().method(), "malformed bundle " + r.bundle() + ": larger than 64 MiB");
        }
        byte[] raw = Files.readAllBytes(r.bundle());
        try {
            return verify(r, raw);
        } catch (Fail f) {
            return VerifyResult.failed(r.trust().method(), f.getMessage());
        }
    }

    private static VerifyResult verify(VerifyRequest r, byte[] raw) throws Fail, IOException {
        String bundleName = "bundle " + r.bundle();
        JsonNode b = Manifests.parse(raw, "malformed bundle: " + r.bundle());
        String mediaType = b.path("mediaType").asText(null);
        if (mediaType == null) {
            throw new Fail("malformed bundle: " + r.bundle() + " has no mediaType (not a Sigstore bundle)");
        }
        String version = MEDIA_TYPES.get(mediaType);
        if (version == null) {
            throw new Fail("wrong media type in " + r.bundle() + ": '" + mediaType + "' (expected " + BUNDLE_MEDIA_TYPE
                    + ")");
        }
        JsonNode vm = b.get("verificationMaterial");
        if (vm == null || !vm.isObject()) {
            throw new Fail("malformed bundle: " + r.bundle() + " has no verificationMaterial");
        }
        JsonNode env = b.get("dsseEnvelope");
        if (env == null || !env.isObject()) {
            throw new Fail(b.has("messageSignature")
                    ? "malformed bundle: " + r.bundle() + " signs a message digest, not a DSSE envelope (not an OMS bundle)"
                    : "malformed bundle: " + r.bundle() + " has no DSSE envelope (dsseEnvelope)");
        }
        String payloadType = Manifests.text(env, "payloadType", bundleName + " dsseEnvelope");
        byte[] payload = Manifests.base64(Manifests.text(env, "payload", bundleName + " dsseEnvelope"), bundleName + " payload");
        JsonNode sigs = env.get("signatures");
        if (sigs == null || !sigs.isArray() || sigs.isEmpty()) {
            throw new Fail("malformed bundle: " + r.bundle() + " has no DSSE signature");
        }
        if (sigs.size() != 1) {
            throw new Fail("malformed bundle: " + r.bundle() + " has " + sigs.size() + " DSSE signatures (expected one)");
        }
        byte[] sig = Manifests.base64(Manifests.text(sigs.get(0), "sig", bundleName + " signature"), bundleName + " signature");

        // 1. Who signed, and does the signature hold?
        String method = r.trust().method();
        String identity;
        List<String> notes = new ArrayList<>();
        try {
            if (r.trust() instanceof Trust.Key k) {
                identity = KeyChecks.key(k.publicKey(), vm, payloadType, payload, sig, notes, r.bundle());
            } else if (r.trust() instanceof Trust.Certificates c) {
                identity = KeyChecks.certificate(c.chain(), vm, payloadType, payload, sig, notes, r.bundle(),
                        r.time() == null ? Instant.now() : r.time());
            } else {
                Trust.Sigstore s = (Trust.Sigstore) r.trust();
                SigstoreCheck.Verified v = SigstoreCheck.verify(s.trustedRoot(), s.identity(), s.issuer(), version, vm,
                        payloadType, payload, sig, r.bundle());
                identity = v.identity();
                notes.addAll(v.notes());
            }
        } catch (VerificationFailure e) {
            throw new Fail(e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new Fail(e.getMessage());
        }

        // 2. What was signed?
        if (!payloadType.equals(PAYLOAD_TYPE)) {
            throw new Fail("wrong payload type in " + r.bundle() + ": '" + payloadType + "' (expected " + PAYLOAD_TYPE + ")");
        }
        JsonNode st = Manifests.parse(payload, "malformed statement in " + r.bundle() + ":");
        String type = st.path("_type").asText(null);
        if (!STATEMENT_TYPE.equals(type)) {
            throw new Fail("wrong statement type in " + r.bundle() + ": '" + type + "' (expected " + STATEMENT_TYPE + ")");
        }
        String predicateType = st.path("predicateType").asText(null);
        Manifest man;
        if (PREDICATE_TYPE.equals(predicateType)) {
            man = Manifests.manifestV1(st, r.bundle());
        } else if (PREDICATE_TYPE_V01.equals(predicateType)) {
            man = Manifests.manifestV01(st, r.bundle());
            notes.add("predicate " + PREDICATE_TYPE_V01 + " (model_signing v0.2)");
        } else {
            throw new Fail("wrong predicate type in " + r.bundle() + ": '" + predicateType + "' (expected "
                    + PREDICATE_TYPE + ")");
        }

        // 3. Does the model match?
        Model m = enumerate(r.model(), r.bundle(), r.ignorePaths(), man.ignorePaths, man.allowSymlinks, Fail::new,
                "the signature was made without allow_symlinks: links are not followed");
        return compare(r, m, man, method, identity, predicateType, notes);
    }

    /**
     * How the statement in {@code bundle} says the files were hashed, read <em>without</em>
     * checking the signature (a hint for hashing while copying, {@link KnownDigests#copy}); null
     * when the bundle cannot be read as an OMS bundle or uses what Laocoon does not verify.
     */
    public static HashPlan hashPlan(Path bundle) throws IOException {
        if (Files.size(bundle) > MAX_BUNDLE) {
            return null;
        }
        try {
            JsonNode b = Manifests.parse(Files.readAllBytes(bundle), "bundle");
            JsonNode env = b.get("dsseEnvelope");
            if (env == null || !env.isObject()) {
                return null;
            }
            JsonNode st = Manifests.parse(Manifests.base64(Manifests.text(env, "payload", "bundle"), "payload"), "statement");
            String predicateType = st.path("predicateType").asText(null);
            if (PREDICATE_TYPE_V01.equals(predicateType)) {
                return new HashPlan("sha256", 0);
            }
            if (!PREDICATE_TYPE.equals(predicateType)) {
                return null;
            }
            Manifest m = Manifests.manifestV1(st, bundle);
            return new HashPlan(m.hash, m.method.equals("shards") ? m.shardSize : 0);
        } catch (Fail | IllegalArgumentException e) {
            return null;
        }
    }

    private static VerifyResult compare(VerifyRequest r, Model m, Manifest man, String method, String identity,
            String predicateType, List<String> notes) throws IOException {
        // local names as the bundle spells them
        Map<String, ModelTree.Entry> local = new LinkedHashMap<>();
        for (ModelTree.Entry e : m.entries) {
            local.put(e.name(), e);
        }
        boolean shards = man.method.equals("shards");
        Map<String, List<Resource>> byFile = new LinkedHashMap<>();
        for (Resource x : man.resources.values()) {
            String path = x.name();
            if (shards) {
                ShardName s = ShardName.parse(x.name());
                if (s == null) {
                    return VerifyResult.failed(method, "malformed statement in " + r.bundle() + ": resource '"
                            + x.name() + "' is not a shard name path:start:end");
                }
                path = s.path();
            }
            byFile.computeIfAbsent(path, k -> new ArrayList<>()).add(x);
        }
        if (m.singleFile && byFile.size() == 1 && byFile.containsKey(".")) {
            ModelTree.Entry e = m.entries.get(0);
            local.clear();
            local.put(".", e); // the reference names a single-file model "."
        }
        List<String> problems = new ArrayList<>();
        List<VerifyResult.FileStatus> statuses = new ArrayList<>();
        List<Hashing.Range> ranges = new ArrayList<>();
        List<Resource> wanted = new ArrayList<>();
        for (Map.Entry<String, List<Resource>> f : byFile.entrySet()) {
            ModelTree.Entry e = local.get(f.getKey());
            if (e == null) {
                problems.add("missing file: " + f.getKey() + " is signed but not in " + r.model());
                for (Resource x : f.getValue()) {
                    statuses.add(new VerifyResult.FileStatus(x.name(), "missing", x.algorithm(), x.digest(), null));
                }
                continue;
            }
            if (!shards) {
                ranges.add(new Hashing.Range(e.path(), 0, -1));
                wanted.add(f.getValue().get(0));
                continue;
            }
            // the shards the local file has must be exactly the signed ones
            Set<String> expected = new LinkedHashSet<>();
            for (long s = 0; s < e.size(); s += man.shardSize) {
                expected.add(f.getKey() + ":" + s + ":" + Math.min(e.size(), s + man.shardSize));
            }
            Set<String> signed = new LinkedHashSet<>();
            long signedSize = 0;
            for (Resource x : f.getValue()) {
                signed.add(x.name());
                signedSize = Math.max(signedSize, ShardName.parse(x.name()).end());
            }
            if (!expected.equals(signed)) {
                problems.add("digest mismatch: " + f.getKey() + " has " + e.size() + " bytes, the signature covers "
                        + signedSize + " bytes in " + signed.size() + " shards of " + man.shardSize);
                for (Resource x : f.getValue()) {
                    statuses.add(new VerifyResult.FileStatus(x.name(), "mismatch", x.algorithm(), x.digest(), null));
                }
                continue;
            }
            for (Resource x : f.getValue()) {
                ShardName s = ShardName.parse(x.name());
                ranges.add(new Hashing.Range(e.path(), s.start(), s.end()));
                wanted.add(x);
            }
        }
        List<byte[]> ds = KnownDigests.digests(r.known(), ranges, man.hash, r.threads());
        for (int i = 0; i < ranges.size(); i++) {
            Resource x = wanted.get(i);
            String got = Hex.of(ds.get(i));
            if (got.equals(x.digest())) {
                statuses.add(new VerifyResult.FileStatus(x.name(), "ok", x.algorithm(), x.digest(), got));
            } else {
                problems.add("digest mismatch: " + x.name() + " (signed " + x.algorithm() + " " + x.digest()
                        + ", file has " + got + ")");
                statuses.add(new VerifyResult.FileStatus(x.name(), "mismatch", x.algorithm(), x.digest(), got));
            }
        }
        for (Map.Entry<String, ModelTree.Entry> e : local.entrySet()) {
            String name = e.getKey();
            if (shards && e.getValue().size() == 0 && !byFile.containsKey(name)) {
                // OMS shards leave empty files out of the resources: nothing to compare
                statuses.add(new VerifyResult.FileStatus(name, "empty", man.hash, null, null));
                continue;
            }
            if (!byFile.containsKey(name)) {
                statuses.add(new VerifyResult.FileStatus(name, "unsigned", null, null, null));
                if (!r.ignoreUnsigned()) {
                    problems.add("unsigned file: " + name + " is in " + r.model() + " but not covered by the signature");
                }
            }
        }
        statuses.sort((a, b) -> ModelTree.compareCodePoints(a.name(), b.name()));
        String format = predicateType + (notes.isEmpty() ? "" : "; " + String.join("; ", notes));
        boolean ok = problems.isEmpty();
        return new VerifyResult(ok, ok ? null : problems.get(0) + (problems.size() > 1
                ? " (and " + (problems.size() - 1) + " more problem" + (problems.size() > 2 ? "s" : "") + ")" : ""),
                problems, method, identity, format, man.subjectDigest, statuses);
    }
}

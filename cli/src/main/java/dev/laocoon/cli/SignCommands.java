package dev.laocoon.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.laocoon.core.sign.SignException;
import dev.laocoon.core.sign.SignRequest;
import dev.laocoon.core.sign.SignResult;
import dev.laocoon.core.sign.Signatures;
import dev.laocoon.core.sign.Trust;
import dev.laocoon.core.sign.VerifyRequest;
import dev.laocoon.core.sign.VerifyResult;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The {@code sign} and {@code verify} commands: OpenSSF Model Signing (OMS v1.0) bundles. */
final class SignCommands {
    private static final Args.Option IGNORE = new Args.Option(List.of("--ignore-paths"), "PATH",
            "Leave PATH (a file or folder, absolute or relative to MODEL_PATH) out; repeatable.");
    private static final Args.Option THREADS = new Args.Option(List.of("--threads"), "N",
            "Hash on N threads (default: the number of cores).");
    private static final Args.Option FORMAT = new Args.Option(List.of("-f", "--format"), "FORMAT",
            "Output format: text or json (default text).");
    private static final Args.Option HELP = new Args.Option(List.of("-h", "--help"), null, "Show this help and exit.");

    static final List<Args.Option> SIGN = List.of(
            new Args.Option(List.of("-o", "--output", "--signature"), "BUNDLE", "The bundle to write (required)."),
            new Args.Option(List.of("--private-key"), "KEY.pem",
                    "EC private key (P-256, P-384 or P-521; PKCS#8 or SEC1 PEM, unencrypted) (required)."),
            new Args.Option(List.of("--signing-certificate"), "CERT.pem",
                    "Certificate of the key: sign with the certificate method instead of the key method."),
            new Args.Option(List.of("--certificate-chain"), "CA.pem",
                    "CA certificates to put in the bundle after the signing certificate; repeatable."),
            IGNORE,
            new Args.Option(List.of("--hash"), "ALG", "File hash: sha256 (default) or blake2b."),
            new Args.Option(List.of("--shard-size"), "N",
                    "Hash files in shards of N bytes (method 'shards') instead of whole (method 'files')."),
            new Args.Option(List.of("--allow-symlinks"), null,
                    "Follow symbolic links (refused by default) and record allow_symlinks."),
            new Args.Option(List.of("--reference-layout"), null,
                    "Write what the Python model_signing verifier expects: a single-file model named '.', shard"
                            + " digests named sha256-sharded-N, its resource order."),
            THREADS, FORMAT, HELP);

    static final List<Args.Option> VERIFY = List.of(
            new Args.Option(List.of("--signature"), "BUNDLE", "The bundle to verify (required)."),
            new Args.Option(List.of("--public-key"), "KEY.pem", "Verify a key-method bundle with this EC public key."),
            new Args.Option(List.of("--certificate-chain"), "CA.pem",
                    "Verify a certificate-method bundle against these trusted CA certificates; repeatable."),
            new Args.Option(List.of("--trust-root"), "FILE",
                    "Verify a Sigstore keyless bundle against this trusted_root.json (no network)."),
            new Args.Option(List.of("--identity"), "ID",
                    "Sigstore: the signer's expected identity (certificate SAN: e-mail or URI)."),
            new Args.Option(List.of("--issuer"), "URL", "Sigstore: the expected OIDC issuer of that identity."),
            IGNORE,
            new Args.Option(List.of("--ignore-unsigned-files"), null,
                    "Accept files in the model that the signature does not cover (refused by default)."),
            THREADS, FORMAT, HELP);

    private final PrintStream out;
    private final PrintStream err;

    SignCommands(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    static String signUsage() {
        return Args.usage("laocoon sign MODEL_PATH --output BUNDLE --private-key KEY.pem [OPTIONS]",
                "Sign a model (a folder or one file) into an OpenSSF Model Signing v1.0 bundle: a Sigstore bundle\n"
                        + "with a DSSE envelope over an in-toto statement listing every file's digest. Every file is\n"
                        + "read once; .git, .github, .gitignore, .gitattributes and the bundle itself are left out.",
                SIGN)
                + "\nExit codes:\n  0  signed\n  2  usage or I/O error, or the model or key refused\n";
    }

    static String verifyUsage() {
        return Args.usage("laocoon verify MODEL_PATH --signature BUNDLE"
                        + " (--public-key KEY.pem | --certificate-chain CA.pem... | --trust-root FILE --identity ID --issuer URL)",
                "Verify a model against an OpenSSF Model Signing bundle (also those of the Python and Go tools):\n"
                        + "the signature, the signer, and every file's digest. A file in the model that the signature\n"
                        + "does not cover fails verification unless --ignore-unsigned-files is given.",
                VERIFY)
                + "\nExit codes:\n  0  verified\n  1  verification failed (the message says why)\n  2  usage or I/O error\n";
    }

    private static int threads(Args a) throws Args.UsageException {
        String t = a.value("--threads", null);
        if (t == null) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int n = Integer.parseInt(t);
            if (n < 1 || n > 256) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new Args.UsageException("--threads: expected a number from 1 to 256, got '" + t + "'");
        }
    }

    private static String format(Args a) throws Args.UsageException {
        String f = a.value("--format", "text");
        if (!f.equals("text") && !f.equals("json")) {
            throw new Args.UsageException("--format: expected text or json, got '" + f + "'");
        }
        return f;
    }

    private static Path existing(String p, String what) throws IOException {
        Path path = Path.of(p);
        if (!Files.exists(path)) {
            throw new IOException(what + " " + p + ": no such file");
        }
        return path;
    }

    /**
     * The trust {@code --public-key}, {@code --certificate-chain} or {@code --trust-root} (with
     * {@code --identity} and {@code --issuer}) give; null when none is given, a usage error for more than one.
     */
    static Trust trust(Args a) throws Args.UsageException, IOException {
        String pub = a.value("--public-key", null);
        List<String> chain = a.all("--certificate-chain");
        String root = a.value("--trust-root", null);
        int methods = (pub != null ? 1 : 0) + (chain.isEmpty() ? 0 : 1) + (root != null ? 1 : 0);
        String identity = a.value("--identity", null);
        String issuer = a.value("--issuer", null);
        if (root == null && (identity != null || issuer != null)) {
            throw new Args.UsageException("--identity and --issuer go with --trust-root");
        }
        if (methods == 0) {
            return null;
        }
        if (methods != 1) {
            throw new Args.UsageException("give exactly one of --public-key, --certificate-chain or --trust-root");
        }
        if (root != null && (identity == null || issuer == null)) {
            throw new Args.UsageException("--trust-root needs --identity and --issuer (who must have signed)");
        }
        if (pub != null) {
            return new Trust.Key(existing(pub, "public key"));
        }
        if (root != null) {
            return new Trust.Sigstore(existing(root, "trust root"), identity, issuer);
        }
        List<Path> ps = new ArrayList<>();
        for (String c : chain) {
            ps.add(existing(c, "certificate"));
        }
        return new Trust.Certificates(ps);
    }

    int sign(List<String> argv) throws Args.UsageException, IOException {
        Args a = Args.parse(SIGN, argv);
        if (a.flag("--help")) {
            out.print(signUsage());
            return Main.OK;
        }
        if (a.positionals().size() != 1) {
            throw new Args.UsageException("sign needs exactly one MODEL_PATH");
        }
        String output = a.value("--signature", null);
        if (output == null) {
            throw new Args.UsageException("sign needs --output BUNDLE");
        }
        String key = a.value("--private-key", null);
        if (key == null) {
            throw new Args.UsageException("sign needs --private-key KEY.pem (keyless Sigstore signing is not supported yet)");
        }
        String hash = a.value("--hash", "sha256");
        if (!hash.equals("sha256") && !hash.equals("blake2b")) {
            throw new Args.UsageException("--hash: expected sha256 or blake2b, got '" + hash + "'");
        }
        long shard = 0;
        String s = a.value("--shard-size", null);
        if (s != null) {
            try {
                shard = Long.parseLong(s);
            } catch (NumberFormatException e) {
                shard = -1;
            }
            if (shard < 1) {
                throw new Args.UsageException("--shard-size: expected a positive number of bytes, got '" + s + "'");
            }
        }
        String cert = a.value("--signing-certificate", null);
        List<Path> chain = new ArrayList<>();
        for (String c : a.all("--certificate-chain")) {
            chain.add(existing(c, "certificate"));
        }
        if (cert == null && !chain.isEmpty()) {
            throw new Args.UsageException("--certificate-chain needs --signing-certificate");
        }
        String fmt = format(a);
        SignRequest req = SignRequest.key(Path.of(a.positionals().get(0)), Path.of(output),
                        existing(key, "private key"))
                .withCertificate(cert == null ? null : existing(cert, "certificate"), chain)
                .withIgnorePaths(a.all("--ignore-paths"))
                .withHash(hash, shard)
                .withSymlinks(a.flag("--allow-symlinks"))
                .withReferenceLayout(a.flag("--reference-layout"))
                .withThreads(threads(a));
        SignResult r;
        try {
            r = Signatures.sign(req);
        } catch (SignException e) {
            err.println("laocoon: sign: " + e.getMessage());
            return Main.ERROR;
        }
        if (fmt.equals("json")) {
            try (JsonGenerator g = generator()) {
                g.writeStartObject();
                g.writeStringField("bundle", r.bundle().toString());
                g.writeStringField("method", r.method());
                g.writeStringField("keyHint", r.keyHint());
                g.writeObjectFieldStart("subject");
                g.writeStringField("name", r.subjectName());
                g.writeStringField("sha256", r.subjectDigest());
                g.writeEndObject();
                g.writeNumberField("bytes", r.bytesHashed());
                g.writeArrayFieldStart("resources");
                for (var x : r.resources()) {
                    g.writeStartObject();
                    g.writeStringField("name", x.name());
                    g.writeStringField("algorithm", x.algorithm());
                    g.writeStringField("digest", x.digest());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            out.println();
        } else {
            out.println("signed " + req.model() + ": " + r.resources().size()
                    + (shard == 0 ? " files" : " shards") + ", " + r.bytesHashed() + " bytes, " + r.method()
                    + " method -> " + r.bundle());
        }
        return Main.OK;
    }

    int verify(List<String> argv) throws Args.UsageException, IOException {
        Args a = Args.parse(VERIFY, argv);
        if (a.flag("--help")) {
            out.print(verifyUsage());
            return Main.OK;
        }
        if (a.positionals().size() != 1) {
            throw new Args.UsageException("verify needs exactly one MODEL_PATH");
        }
        String sig = a.value("--signature", null);
        if (sig == null) {
            throw new Args.UsageException("verify needs --signature BUNDLE");
        }
        Trust trust = trust(a);
        if (trust == null) {
            throw new Args.UsageException("verify needs exactly one of --public-key, --certificate-chain or --trust-root");
        }
        String fmt = format(a);
        Path model = Path.of(a.positionals().get(0));
        Path bundle = existing(sig, "signature");
        VerifyRequest req = VerifyRequest.of(model, bundle, trust).withIgnorePaths(a.all("--ignore-paths"))
                .withIgnoreUnsigned(a.flag("--ignore-unsigned-files")).withThreads(threads(a));
        VerifyResult r = Signatures.verify(req);
        if (fmt.equals("json")) {
            try (JsonGenerator g = generator()) {
                g.writeStartObject();
                g.writeBooleanField("verified", r.verified());
                g.writeStringField("model", model.toString());
                g.writeStringField("bundle", bundle.toString());
                g.writeStringField("method", r.method());
                g.writeStringField("identity", r.identity());
                g.writeStringField("format", r.format());
                g.writeStringField("subjectDigest", r.subjectDigest());
                g.writeStringField("failure", r.failure());
                g.writeArrayFieldStart("problems");
                for (String p : r.problems()) {
                    g.writeString(p);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("files");
                for (VerifyResult.FileStatus f : r.files()) {
                    g.writeStartObject();
                    g.writeStringField("name", f.name());
                    g.writeStringField("status", f.status());
                    g.writeStringField("algorithm", f.algorithm());
                    g.writeStringField("digest", f.expected());
                    g.writeStringField("actual", f.actual());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            out.println();
        } else if (r.verified()) {
            long signed = r.files().stream().filter(f -> f.status().equals("ok")).count();
            long unsigned = r.files().size() - signed;
            out.println("verified " + model + ": " + signed + (signed == 1 ? " item" : " items") + " signed by "
                    + r.identity() + " (" + r.method() + ")"
                    + (unsigned > 0 ? "; " + unsigned + " unsigned file" + (unsigned == 1 ? "" : "s") + " ignored" : ""));
        }
        if (!r.verified()) {
            err.println("laocoon: verification failed: " + r.failure());
            for (int i = 1; i < r.problems().size() && i < 20; i++) {
                err.println("  " + r.problems().get(i));
            }
            return Main.FOUND;
        }
        return Main.OK;
    }

    private JsonGenerator generator() throws IOException {
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        JsonGenerator g = new JsonFactory().createGenerator(w);
        g.useDefaultPrettyPrinter();
        g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
        return g;
    }
}

package dev.laocoon.core.sign;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.laocoon.core.internal.sign.Dsse;
import dev.laocoon.core.internal.sign.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Keys generated for the test, PEM writing, bundle surgery and an openssl runner. */
final class SignTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();

    private SignTestSupport() {
    }

    static KeyPair ecKey(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    /** Writes KEY.pem (PKCS#8) and KEY.pub.pem beside it; returns the private key's path. */
    static Path writeKey(Path dir, String name, KeyPair kp) throws IOException {
        Path priv = dir.resolve(name + ".pem");
        Files.writeString(priv, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
        Files.writeString(dir.resolve(name + ".pub.pem"), Pem.publicKeyPem(kp.getPublic()));
        return priv;
    }

    static Path model(Path dir) throws IOException {
        Path m = dir.resolve("model");
        Files.createDirectories(m.resolve("sub"));
        Files.writeString(m.resolve("config.json"), "{\"layers\": 2}\n");
        byte[] w = new byte[300_000];
        new java.util.Random(7).nextBytes(w);
        Files.write(m.resolve("sub/weights.bin"), w);
        Files.write(m.resolve("empty.txt"), new byte[0]);
        return m;
    }

    static ObjectNode read(Path bundle) throws IOException {
        return (ObjectNode) JSON.readTree(bundle.toFile());
    }

    static byte[] payload(ObjectNode bundle) {
        return Base64.getDecoder().decode(bundle.path("dsseEnvelope").path("payload").asText());
    }

    static ObjectNode statement(ObjectNode bundle) throws IOException {
        return (ObjectNode) JSON.readTree(payload(bundle));
    }

    /** Replaces the bundle's payload (and payload type) and signs the new PAE with {@code kp}. */
    static void resign(ObjectNode bundle, byte[] payload, String payloadType, KeyPair kp, String alg) throws Exception {
        ObjectNode env = (ObjectNode) bundle.get("dsseEnvelope");
        env.put("payload", Base64.getEncoder().encodeToString(payload));
        env.put("payloadType", payloadType);
        Signature s = Signature.getInstance(alg);
        s.initSign(kp.getPrivate());
        s.update(Dsse.pae(payloadType, payload));
        ((ObjectNode) env.withArray("signatures").get(0)).put("sig", Base64.getEncoder().encodeToString(s.sign()));
    }

    static void write(Path p, Object json) throws IOException {
        Files.write(p, JSON.writeValueAsBytes(json));
    }

    record Out(int code, String out) {
    }

    static boolean hasOpenssl() {
        try {
            return run(null, "openssl", "version").code() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    static void assumeOpenssl() {
        Assumptions.assumeTrue(hasOpenssl(), "openssl is not installed: skipping the openssl oracle");
    }

    static Out run(Path dir, String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Process p = pb.start();
        p.getOutputStream().close();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
            return new Out(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    static Out openssl(Path dir, String... args) throws IOException {
        List<String> c = new ArrayList<>();
        c.add("openssl");
        c.addAll(List.of(args));
        Out o = run(dir, c.toArray(new String[0]));
        if (o.code() != 0) {
            throw new IOException("openssl " + String.join(" ", args) + " failed: " + o.out());
        }
        return o;
    }

    /**
     * A CA chain made with the openssl CLI in {@code dir}: root.pem, int.pem (signed by root), and a
     * P-384 leaf leaf.pem/leaf.key signed by int with the given extensions, valid {@code days}.
     */
    static void caChain(Path dir, String leafName, String leafExt, int days) throws IOException {
        if (!Files.exists(dir.resolve("root.pem"))) {
            Files.writeString(dir.resolve("ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
            openssl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "root.key");
            openssl(dir, "req", "-new", "-x509", "-key", "root.key", "-subj", "/CN=Test Root", "-days", "30",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                    "-out", "root.pem");
            openssl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "int.key");
            openssl(dir, "req", "-new", "-key", "int.key", "-subj", "/CN=Test Intermediate", "-out", "int.csr");
            openssl(dir, "x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key",
                    "-CAcreateserial", "-days", "30", "-extfile", "ca.ext", "-out", "int.pem");
        }
        Files.writeString(dir.resolve(leafName + ".ext"), leafExt);
        openssl(dir, "ecparam", "-name", "secp384r1", "-genkey", "-out", leafName + ".key");
        openssl(dir, "req", "-new", "-key", leafName + ".key", "-subj", "/CN=" + leafName, "-out", leafName + ".csr");
        openssl(dir, "x509", "-req", "-in", leafName + ".csr", "-CA", "int.pem", "-CAkey", "int.key",
                "-CAcreateserial", "-days", String.valueOf(days), "-extfile", leafName + ".ext", "-out", leafName + ".pem");
    }
}

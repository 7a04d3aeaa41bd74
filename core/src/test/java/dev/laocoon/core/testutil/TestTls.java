package dev.laocoon.core.testutil;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A throw-away self-signed certificate for localhost and 127.0.0.1, made with the JDK's keytool. */
public final class TestTls {
    private static KeyStore store;
    private static final char[] PASS = "laocoon-test".toCharArray();

    private TestTls() {
    }

    private static synchronized KeyStore store() throws IOException {
        if (store == null) {
            Path dir = Files.createTempDirectory("laocoon-tls");
            Path ks = dir.resolve("server.p12");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname",
                    "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                    "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", new String(PASS), "-keypass",
                    new String(PASS)).redirectErrorStream(true).start();
            try {
                String out = new String(p.getInputStream().readAllBytes());
                if (p.waitFor() != 0) {
                    throw new IOException("keytool failed: " + out);
                }
                KeyStore k = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(ks)) {
                    k.load(in, PASS);
                }
                store = k;
            } catch (InterruptedException | GeneralSecurityException e) {
                throw new IOException(e);
            } finally {
                Files.deleteIfExists(ks);
                Files.deleteIfExists(dir);
            }
        }
        return store;
    }

    /** The server side: the key and its certificate. */
    public static SSLContext server() throws IOException {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store(), PASS);
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(kmf.getKeyManagers(), null, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    /** The client side: trusts that certificate only. */
    public static SSLContext client() throws IOException {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("server", store().getCertificate("server"));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, tmf.getTrustManagers(), null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }
}

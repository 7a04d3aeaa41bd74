package dev.laocoon.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** SHA-256, random identifiers and the knowledge-base hash. */
final class Hashes {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Hashes() {
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256Hex(byte[] b) {
        return HexFormat.of().formatHex(sha256().digest(b));
    }

    /** A random identifier of {@code bytes} random bytes, hex. */
    static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** A new bearer token: 32 random bytes, URL-safe base64 with a recognisable prefix. */
    static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return "lao_" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /**
     * The SHA-256 of Laocoon's knowledge data: every {@code .txt} resource under {@code dev/laocoon/}
     * of the core library (globals, aliases, rule tables), by name and content, in name order. A rule
     * update changes it, and so the content cache's key.
     */
    static String knowledgeBaseHash() {
        MessageDigest d = sha256();
        try {
            Path where = Path.of(dev.laocoon.core.kb.KnowledgeBase.class.getProtectionDomain().getCodeSource()
                    .getLocation().toURI());
            if (Files.isDirectory(where)) {
                Path root = where.resolve("dev/laocoon");
                List<String> names = new ArrayList<>();
                try (var s = Files.walk(root)) {
                    s.filter(p -> p.toString().endsWith(".txt") && !root.relativize(p).startsWith("server")).forEach(p -> names.add(root.relativize(p).toString()
                            .replace('\\', '/')));
                }
                Collections.sort(names);
                for (String n : names) {
                    d.update(n.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    d.update(Files.readAllBytes(root.resolve(n)));
                }
            } else {
                try (ZipFile z = new ZipFile(where.toFile())) {
                    List<String> names = new ArrayList<>();
                    for (var e = z.entries(); e.hasMoreElements(); ) {
                        ZipEntry en = e.nextElement();
                        if (en.getName().startsWith("dev/laocoon/") && en.getName().endsWith(".txt")
                                && !en.getName().startsWith("dev/laocoon/server/")) {
                            names.add(en.getName().substring("dev/laocoon/".length()));
                        }
                    }
                    Collections.sort(names);
                    for (String n : names) {
                        d.update(n.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        try (InputStream in = z.getInputStream(z.getEntry("dev/laocoon/" + n))) {
                            d.update(in.readAllBytes());
                        }
                    }
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot read the knowledge base to hash it: " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(d.digest());
    }
}

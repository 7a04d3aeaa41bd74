package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.internal.pickle.Value;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Recovers the bytes a nested deserializer would receive: a bytes constant, or a str or bytes
 * constant passed through a base64 or hex decoder ({@code base64.b64decode}, {@code bytes.fromhex},
 * {@code binascii.unhexlify}, {@code codecs.decode(s, 'base64')}, ...). Decoding happens here,
 * in Java; nothing from the pickle runs.
 */
final class EmbeddedBytes {
    private EmbeddedBytes() {
    }

    static byte[] extract(Value v, KnowledgeBase kb) {
        if (v instanceof Value.Bytes || v instanceof Value.Str) {
            return constant(v);
        }
        if (v instanceof Value.Call call && call.callee() instanceof Value.Global g && g.name().known()
                && call.args() instanceof Value.Container args && args.keptCount() >= 1) {
            String path = kb.canonical(g.name().path());
            byte[] text = constant(args.item(0));
            if (text == null) {
                return null;
            }
            String codec = args.keptCount() >= 2 && args.item(1) instanceof Value.Str c
                    ? c.text().toLowerCase(Locale.ROOT).replace('-', '_') : "";
            try {
                switch (path) {
                    case "base64.b64decode", "base64.decodebytes", "base64.standard_b64decode", "binascii.a2b_base64",
                            "base64.decodestring" -> {
                        return Base64.getMimeDecoder().decode(text);
                    }
                    case "base64.urlsafe_b64decode" -> {
                        return Base64.getUrlDecoder().decode(strip(text));
                    }
                    case "binascii.unhexlify", "binascii.a2b_hex", "builtins.bytes.fromhex", "base64.b16decode" -> {
                        return HexFormat.of().parseHex(strip(text));
                    }
                    case "codecs.decode", "_codecs.decode" -> {
                        if (codec.startsWith("base64")) {
                            return Base64.getMimeDecoder().decode(text);
                        }
                        if (codec.startsWith("hex")) {
                            return HexFormat.of().parseHex(strip(text));
                        }
                        return null;
                    }
                    default -> {
                        return null;
                    }
                }
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private static byte[] constant(Value v) {
        if (v instanceof Value.Bytes b && b.complete()) {
            return b.data();
        }
        if (v instanceof Value.Str s && s.complete()) {
            return s.text().getBytes(StandardCharsets.ISO_8859_1);
        }
        return null;
    }

    private static String strip(byte[] text) {
        return new String(text, StandardCharsets.ISO_8859_1).replaceAll("\\s+", "");
    }
}

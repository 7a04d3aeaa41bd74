package dev.laocoon.core.internal.sign;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** DSSE pre-authentication encoding, and the variant the reference implementation signed in v0.2. */
public final class Dsse {
    private Dsse() {
    }

    /** {@code "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body}, lengths in ASCII decimal bytes. */
    public static byte[] pae(String payloadType, byte[] payload) {
        byte[] t = payloadType.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream o = new ByteArrayOutputStream(payload.length + t.length + 32);
        o.writeBytes(("DSSEv1 " + t.length + " ").getBytes(StandardCharsets.US_ASCII));
        o.writeBytes(t);
        o.writeBytes((" " + payload.length + " ").getBytes(StandardCharsets.US_ASCII));
        o.writeBytes(payload);
        return o.toByteArray();
    }

    /**
     * The PAE of {@code model_signing} v0.2: "DSSEV1" with a capital V, and the payload written as
     * Python's {@code repr} of a bytes object ({@code b'...'} with escapes) encoded as UTF-8.
     */
    public static byte[] paeLegacy(String payloadType, byte[] payload) {
        StringBuilder sb = new StringBuilder();
        sb.append("DSSEV1 ").append(payloadType.length()).append(' ').append(payloadType).append(' ')
                .append(payload.length).append(' ');
        appendPythonBytesRepr(sb, payload);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static void appendPythonBytesRepr(StringBuilder sb, byte[] b) {
        boolean single = false;
        boolean dbl = false;
        for (byte x : b) {
            single |= x == '\'';
            dbl |= x == '"';
        }
        char quote = single && !dbl ? '"' : '\'';
        sb.append('b').append(quote);
        for (byte x : b) {
            int c = x & 0xff;
            if (c == quote || c == '\\') {
                sb.append('\\').append((char) c);
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c < 0x20 || c >= 0x7f) {
                sb.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            } else {
                sb.append((char) c);
            }
        }
        sb.append(quote);
    }
}

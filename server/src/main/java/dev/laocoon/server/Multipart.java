package dev.laocoon.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A streaming reader of a {@code multipart/form-data} body with one file part: small text fields
 * before the file (at most {@link #MAX_PARTS} parts, {@link #MAX_HEADER_BYTES} of headers each,
 * {@link #MAX_FIELD_BYTES} per field) are kept; the file part's content is handed out as a stream
 * that ends at the next boundary, so it goes to disk without being held in memory. Anything that
 * does not follow the grammar is a {@link Malformed}.
 */
final class Multipart {
    static final int MAX_PARTS = 16;
    static final int MAX_HEADER_BYTES = 8 * 1024;
    static final int MAX_FIELD_BYTES = 4 * 1024;

    static final class Malformed extends IOException {
        Malformed(String m) {
            super(m);
        }
    }

    private final InputStream in;
    private final byte[] delimiter; // CRLF--boundary
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int lim;
    private boolean eof;
    final Map<String, String> fields = new LinkedHashMap<>();
    String fileName;
    private int parts;

    Multipart(InputStream in, String contentType) throws Malformed {
        this.in = in;
        String boundary = null;
        for (String p : contentType.split(";")) {
            String t = p.trim();
            if (t.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
                boundary = t.substring(9);
                if (boundary.length() >= 2 && boundary.startsWith("\"") && boundary.endsWith("\"")) {
                    boundary = boundary.substring(1, boundary.length() - 1);
                }
            }
        }
        if (boundary == null || boundary.isEmpty() || boundary.length() > 70) {
            throw new Malformed("multipart/form-data needs a boundary of 1 to 70 characters");
        }
        delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    }

    private boolean fill(int need) throws IOException {
        if (lim - pos >= need) {
            return true;
        }
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        while (lim - pos < need && !eof) {
            int n = in.read(buf, lim, buf.length - lim);
            if (n < 0) {
                eof = true;
            } else {
                lim += n;
            }
        }
        return lim - pos >= need;
    }

    private int indexOf(byte[] pat, int from) {
        outer:
        for (int i = from; i + pat.length <= lim; i++) {
            for (int k = 0; k < pat.length; k++) {
                if (buf[i + k] != pat[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * Reads up to the file part: the fields before it are in {@link #fields}, its name in
     * {@link #fileName}; returns its content as a stream (reading it to its end checks the rest of
     * the body), or throws Malformed when there is no file part.
     */
    InputStream file() throws IOException {
        // the preamble ends with the first delimiter (whose leading CRLF may be missing at the start)
        fill(delimiter.length);
        int at = startsWith(delimiter, 2) ? 0 : -1;
        if (at == 0) {
            pos += delimiter.length - 2;
        } else {
            skipPast(delimiter);
        }
        while (true) {
            if (!fill(2)) {
                throw new Malformed("the multipart body ends inside a boundary");
            }
            if (buf[pos] == '-' && buf[pos + 1] == '-') {
                throw new Malformed("the multipart body has no file part");
            }
            if (buf[pos] != '\r' || buf[pos + 1] != '\n') {
                throw new Malformed("a multipart boundary is not followed by CRLF");
            }
            pos += 2;
            if (++parts > MAX_PARTS) {
                throw new Malformed("more than " + MAX_PARTS + " multipart parts");
            }
            Map<String, String> headers = headers();
            String cd = headers.get("content-disposition");
            if (cd == null || !cd.toLowerCase(Locale.ROOT).startsWith("form-data")) {
                throw new Malformed("a multipart part without Content-Disposition: form-data");
            }
            String name = param(cd, "name");
            String filename = param(cd, "filename");
            if (filename != null) {
                fileName = filename;
                return new PartStream();
            }
            PartStream p = new PartStream();
            byte[] v = p.readNBytes(MAX_FIELD_BYTES + 1);
            if (v.length > MAX_FIELD_BYTES) {
                throw new Malformed("the multipart field '" + name + "' is longer than " + MAX_FIELD_BYTES + " bytes");
            }
            if (name != null) {
                fields.putIfAbsent(name, new String(v, StandardCharsets.UTF_8));
            }
            p.readAllBytes(); // nothing: already at the boundary
        }
    }

    private boolean startsWith(byte[] pat, int offset) {
        if (lim - pos < pat.length - offset) {
            return false;
        }
        for (int k = offset; k < pat.length; k++) {
            if (buf[pos + k - offset] != pat[k]) {
                return false;
            }
        }
        return true;
    }

    private void skipPast(byte[] pat) throws IOException {
        long skipped = 0;
        while (true) {
            fill(pat.length);
            int i = indexOf(pat, pos);
            if (i >= 0) {
                pos = i + pat.length;
                return;
            }
            if (eof) {
                throw new Malformed("no multipart boundary in the body");
            }
            int keep = Math.max(pos, lim - pat.length + 1);
            skipped += keep - pos;
            pos = keep;
            if (skipped > MAX_HEADER_BYTES) {
                throw new Malformed("the multipart preamble is too long");
            }
        }
    }

    private Map<String, String> headers() throws IOException {
        Map<String, String> h = new LinkedHashMap<>();
        byte[] end = {'\r', '\n', '\r', '\n'};
        if (fill(2) && buf[pos] == '\r' && buf[pos + 1] == '\n') {
            pos += 2; // no headers at all
            return h;
        }
        fill(Math.min(buf.length, MAX_HEADER_BYTES + 4));
        int i = indexOf(end, pos);
        if (i < 0 || i - pos > MAX_HEADER_BYTES) {
            throw new Malformed("a multipart part's headers are longer than " + MAX_HEADER_BYTES + " bytes or unterminated");
        }
        String text = new String(buf, pos, i - pos, StandardCharsets.UTF_8);
        pos = i + 4;
        for (String line : text.split("\r\n")) {
            int c = line.indexOf(':');
            if (c <= 0) {
                throw new Malformed("a malformed multipart header line");
            }
            h.put(line.substring(0, c).trim().toLowerCase(Locale.ROOT), line.substring(c + 1).trim());
        }
        return h;
    }

    static String param(String header, String name) {
        for (String p : header.split(";")) {
            String t = p.trim();
            int eq = t.indexOf('=');
            if (eq > 0 && t.substring(0, eq).trim().equalsIgnoreCase(name)) {
                String v = t.substring(eq + 1).trim();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                return v;
            }
        }
        return null;
    }

    /** One part's content: ends before the next delimiter, which is consumed. */
    private final class PartStream extends InputStream {
        private boolean done;

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            int n = read(b, 0, 1);
            return n < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            fill(delimiter.length + 1);
            int i = indexOf(delimiter, pos);
            int avail;
            if (i >= 0) {
                avail = i - pos;
                if (avail == 0) {
                    pos += delimiter.length;
                    done = true;
                    return -1;
                }
            } else {
                if (eof) {
                    throw new Malformed("the multipart body ends inside a part");
                }
                avail = lim - pos - (delimiter.length - 1); // what cannot start a delimiter
                if (avail <= 0) {
                    fill(lim - pos + 1);
                    return read(b, off, len);
                }
            }
            int n = Math.min(len, avail);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    /** After the file part: the rest must be the closing delimiter (optionally other small parts). */
    void finish() throws IOException {
        if (!fill(2)) {
            throw new Malformed("the multipart body ends without its closing boundary");
        }
        if (buf[pos] == '-' && buf[pos + 1] == '-') {
            return;
        }
        throw new Malformed("only one file part is accepted, with nothing after it");
    }

    /** Reads what follows the closing delimiter (an epilogue, at most 4 KiB), so the body is read to its end. */
    void drainEpilogue() throws IOException {
        long n = lim - pos;
        pos = lim;
        int r;
        while (n <= 4096 && (r = in.read(buf, 0, buf.length)) >= 0) {
            n += r;
        }
        if (n > 4096) {
            throw new Malformed("more than 4 KiB after the closing multipart boundary");
        }
    }
}

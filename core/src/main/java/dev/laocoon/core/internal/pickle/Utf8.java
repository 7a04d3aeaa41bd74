package dev.laocoon.core.internal.pickle;

/**
 * UTF-8 checking as CPython decodes pickle strings: strict for names (GLOBAL) and with
 * "surrogatepass" for BINUNICODE (encoded surrogates U+D800..U+DFFF accepted). Feeds may
 * split sequences anywhere.
 */
final class Utf8 {
    private final boolean surrogatePass;
    private int need;      // continuation bytes still expected
    private int lower = 0x80;
    private int upper = 0xbf;
    private boolean failed;

    Utf8(boolean surrogatePass) {
        this.surrogatePass = surrogatePass;
    }

    boolean feed(byte[] b, int off, int len) {
        if (failed) {
            return false;
        }
        for (int i = off; i < off + len; i++) {
            int c = b[i] & 0xff;
            if (need == 0) {
                if (c < 0x80) {
                    continue;
                }
                lower = 0x80;
                upper = 0xbf;
                if (c >= 0xc2 && c <= 0xdf) {
                    need = 1;
                } else if (c >= 0xe0 && c <= 0xef) {
                    need = 2;
                    if (c == 0xe0) {
                        lower = 0xa0;
                    } else if (c == 0xed && !surrogatePass) {
                        upper = 0x9f;
                    }
                } else if (c >= 0xf0 && c <= 0xf4) {
                    need = 3;
                    if (c == 0xf0) {
                        lower = 0x90;
                    } else if (c == 0xf4) {
                        upper = 0x8f;
                    }
                } else {
                    failed = true;
                    return false;
                }
            } else {
                if (c < lower || c > upper) {
                    failed = true;
                    return false;
                }
                lower = 0x80;
                upper = 0xbf;
                need--;
            }
        }
        return true;
    }

    boolean finish() {
        return !failed && need == 0;
    }

    static boolean valid(byte[] b, boolean surrogatePass) {
        Utf8 u = new Utf8(surrogatePass);
        return u.feed(b, 0, b.length) && u.finish();
    }

    /** Decodes bytes already known to be valid (surrogates become lone UTF-16 units). */
    static String decode(byte[] b, int len) {
        boolean ascii = true;
        for (int i = 0; i < len; i++) {
            if (b[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(b, 0, len, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        StringBuilder sb = new StringBuilder(len);
        int i = 0;
        while (i < len) {
            int c = b[i] & 0xff;
            int cp;
            int n;
            if (c < 0x80) {
                cp = c;
                n = 1;
            } else if (c < 0xe0) {
                cp = c & 0x1f;
                n = 2;
            } else if (c < 0xf0) {
                cp = c & 0x0f;
                n = 3;
            } else {
                cp = c & 0x07;
                n = 4;
            }
            if (i + n > len) {
                // incomplete tail (only for previews of truncated data)
                sb.append('\ufffd');
                break;
            }
            for (int k = 1; k < n; k++) {
                cp = (cp << 6) | (b[i + k] & 0x3f);
            }
            sb.appendCodePoint(cp);
            i += n;
        }
        return sb.toString();
    }
}

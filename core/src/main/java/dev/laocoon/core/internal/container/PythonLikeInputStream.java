package dev.laocoon.core.internal.container;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A decompressing stream that reads its format as Python's module does and notes, instead of
 * failing, where Python would raise or stop: the bytes decoded so far stay readable, and the
 * caller reports {@link #problems()}.
 */
public abstract class PythonLikeInputStream extends InputStream {
    protected final List<String> problems = new ArrayList<>();

    /** Where Python would raise or stop (each a short sentence); empty for a clean file. */
    public final List<String> problems() {
        return problems;
    }

    @Override
    public final int read() throws IOException {
        byte[] b = new byte[1];
        return read(b, 0, 1) <= 0 ? -1 : b[0] & 0xff;
    }
}

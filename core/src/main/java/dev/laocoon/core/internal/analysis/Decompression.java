package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.container.PythonLikeInputStream;
import dev.laocoon.core.internal.container.Spill;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.ByteSourceInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Function;

/** Bounded decompression into memory, and the analysis of what comes out (shared by wrappers and archives). */
final class Decompression {
    private Decompression() {
    }

    /** A decompressing stream over raw bytes. */
    interface Decoder {
        InputStream open(InputStream in) throws IOException;
    }

    /** Decompression failed after some bytes came out: those are still analysed (fail closed). */
    static final class Damaged extends IOException {
        private static final long serialVersionUID = 1L;
        final transient ByteSource decoded;

        Damaged(IOException cause, ByteSource decoded) {
            super(cause.getMessage(), cause);
            this.decoded = decoded;
        }
    }

    /**
     * Decompresses within the file's budget, into memory and then a temporary file (so memory does
     * not grow with the output); the result is owned by the context, which removes it when the
     * file is done. Past the budget or a bomb's ratio the rest is not read: a finding says so, and
     * what was decoded until then is returned to be analysed, as a loader reads it first.
     */
    static ByteSource inflate(AnalysisContext ctx, InputStream raw, long compressed, Location loc, Decoder d)
            throws IOException {
        Spill buf = new Spill();
        boolean done = false;
        boolean cut = false;
        try (InputStream in = d.open(raw)) {
            byte[] chunk = new byte[65536];
            long total = 0;
            int r;
            while (true) {
                try {
                    r = in.read(chunk);
                } catch (IOException e) {
                    // Python's bz2 and lzma readers stop quietly at trailing data that is not a stream,
                    // and a loader may read a damaged stream up to the damage: what came out counts
                    if (buf.size() > 0) {
                        done = true;
                        throw new Damaged(e, ctx.own(buf.source()));
                    }
                    throw e;
                }
                if (r <= 0) {
                    break;
                }
                total += r;
                boolean budget = ctx.inflated(r);
                if (!budget || (total > (64L << 20) && total > ctx.limits().bombRatio() * Math.max(1, compressed))) {
                    ctx.report(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS, "decompresses to more than " + total
                            + " bytes from " + compressed + " (" + (budget ? "ratio over " + ctx.limits().bombRatio()
                            + ": possible decompression bomb" : "over the " + ctx.limits().maxInflatedBytes()
                            + " bytes a file may inflate to") + "); the first " + buf.size()
                            + " bytes were analysed, the rest was not", loc, "");
                    cut = true;
                    break;
                }
                if (ctx.stop(loc)) {
                    cut = true;
                    break;
                }
                buf.write(chunk, 0, r);
            }
            done = true;
            ByteSource out = ctx.own(buf.source());
            if (cut) {
                ctx.incomplete(out);
            }
            return out;
        } finally {
            if (!done) {
                buf.close();
            }
        }
    }

    /**
     * Decompresses with a reader that reads as Python's module does; where Python would raise or
     * stop (its problems) is suspicious, once the data turned out to be of that format.
     */
    static boolean pythonLike(AnalysisContext ctx, ByteSource src, Location where, String member,
                              Function<InputStream, PythonLikeInputStream> open, boolean onlyIfDecodes) throws IOException {
        PythonLikeInputStream[] made = new PythonLikeInputStream[1];
        boolean done = decompressed(ctx, src, where, member, new Decoder() {
            @Override
            public InputStream open(InputStream in) {
                return made[0] = open.apply(in);
            }
        }, null, onlyIfDecodes);
        if (done && made[0] != null) {
            for (String p : made[0].problems()) {
                ctx.report(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS, p, where.withMember("<" + member + ">"), "");
            }
        }
        return done;
    }

    /**
     * Decompresses {@code src} and analyses the result as a member {@code <member>}. When {@code d}
     * fails before producing anything, {@code fallback} (if any) reads what it can, which is
     * analysed with the failure reported. With {@code onlyIfDecodes}, data that does not decode at
     * all is not this format (false, nothing reported).
     */
    static boolean decompressed(AnalysisContext ctx, ByteSource src, Location where, String member, Decoder d,
                                Decoder fallback, boolean onlyIfDecodes) throws IOException {
        Location loc = where.withMember("<" + member + ">");
        ByteSource out;
        try {
            out = inflate(ctx, new ByteSourceInputStream(src), src.size(), loc, d);
        } catch (IOException e) {
            if (onlyIfDecodes && !(e instanceof org.tukaani.xz.MemoryLimitException)) {
                return false;
            }
            if (e instanceof Damaged dmg) {
                ctx.report(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS, "compressed data is damaged after "
                        + dmg.decoded.size() + " bytes (" + e.getMessage() + "); the bytes before the damage were analysed",
                        loc, "");
                ctx.recurse(dmg.decoded, loc);
                return true;
            }
            if (fallback != null) {
                ByteSource part = null;
                try {
                    part = inflate(ctx, new ByteSourceInputStream(src), src.size(), loc, fallback);
                } catch (IOException again) {
                    // nothing decodes: reported below
                }
                if (part != null && part.size() > 0) {
                    ctx.report(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS, "compressed data is damaged ("
                            + e.getMessage() + "); the part that decodes on its own was analysed", loc, "");
                    ctx.recurse(part, loc);
                    return true;
                }
            }
            ctx.report(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                    "compressed data is damaged (" + e.getMessage() + "); the rest was not analysed", loc, "");
            return true;
        }
        if (out == null) {
            return true;
        }
        ctx.recurse(out, loc);
        return true;
    }
}

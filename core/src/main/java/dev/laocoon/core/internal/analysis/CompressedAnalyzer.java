package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.Format;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.internal.container.PyGzipInputStream;
import dev.laocoon.core.internal.container.PyLzmaInputStream;
import dev.laocoon.core.internal.detect.Head;
import dev.laocoon.core.internal.detect.Magic;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.SliceByteSource;
import java.io.IOException;
import java.io.InputStream;
import java.util.Set;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;

/**
 * Compression wrappers: the payload is decompressed (within the scan budget) and analysed as
 * member {@code <gunzip>}, {@code <bunzip2>}, ...; its formats are the file's. Where Python's own
 * module reads differently from a plain decoder (gzip members, lzma streams, bz2 junk), Laocoon
 * reads as Python does.
 */
public final class CompressedAnalyzer implements Analyzer {
    /** The wrapper formats. */
    public enum Kind { GZIP, BZ2, XZ, ZSTD, LZ4, ZLIB, JOBLIB_ZFILE, LZMA_ALONE }

    private final Kind kind;

    public CompressedAnalyzer(Kind kind) {
        this.kind = kind;
    }

    @Override
    public Set<Rule> rules() {
        return Set.of(Rule.CONTAINER_LIMIT);
    }

    @Override
    public boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException {
        ByteSource src = head.source();
        switch (kind) {
            case GZIP:
                ctx.format(Format.GZIP);
                // read as Python's gzip reads it: every member (the JDK's reader stops early in some cases)
                return Decompression.pythonLike(ctx, src, where, "gunzip", PyGzipInputStream::new, false);
            case BZ2:
                ctx.format(Format.BZ2);
                // Commons' reader loses the streams it decoded when junk follows them; Python's bz2 keeps
                // them and ignores the junk: then the first stream alone is read and analysed.
                return Decompression.decompressed(ctx, src, where, "bunzip2", new Decompression.Decoder() {
                    @Override
                    public InputStream open(InputStream in) throws IOException {
                        return new BZip2CompressorInputStream(in, true);
                    }
                }, new Decompression.Decoder() {
                    @Override
                    public InputStream open(InputStream in) throws IOException {
                        return new BZip2CompressorInputStream(in, false);
                    }
                }, false);
            case XZ:
                ctx.format(Format.XZ);
                return Decompression.pythonLike(ctx, src, where, "unxz", PyLzmaInputStream::new, false);
            case ZSTD:
                ctx.format(Format.ZSTD);
                return Decompression.decompressed(ctx, src, where, "unzstd", new Decompression.Decoder() {
                    @Override
                    public InputStream open(InputStream in) throws IOException {
                        return new io.airlift.compress.zstd.ZstdInputStream(in);
                    }
                }, null, false);
            case LZ4:
                ctx.format(Format.LZ4);
                return Decompression.decompressed(ctx, src, where, "unlz4", new Decompression.Decoder() {
                    @Override
                    public InputStream open(InputStream in) throws IOException {
                        return new FramedLZ4CompressorInputStream(in, true);
                    }
                }, null, false);
            case ZLIB:
                // only zlib when it inflates
                return Decompression.decompressed(ctx, src, where, "zlib", ZLIB_DECODER, null, true);
            case JOBLIB_ZFILE: {
                long off = Magic.zfileDataStart(src);
                ctx.format(Format.JOBLIB_ZFILE);
                Decompression.decompressed(ctx, new SliceByteSource(src, off, src.size() - off), where, "joblib-zfile",
                        ZLIB_DECODER, null, false);
                return true;
            }
            case LZMA_ALONE:
                // counted only when it decodes
                return Decompression.pythonLike(ctx, src, where, "unlzma", PyLzmaInputStream::candidate, true);
            default:
                throw new IllegalStateException(kind.name());
        }
    }

    private static final Decompression.Decoder ZLIB_DECODER = new Decompression.Decoder() {
        @Override
        public InputStream open(InputStream in) {
            return new InflaterInputStream(in, new Inflater(), 65536);
        }
    };
}

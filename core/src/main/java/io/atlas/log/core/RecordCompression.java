package io.atlas.log.core;

import io.atlas.log.Compression;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.apache.commons.compress.compressors.deflate.DeflateCompressorInputStream;
import org.apache.commons.compress.compressors.deflate.DeflateCompressorOutputStream;
import org.apache.commons.compress.compressors.deflate.DeflateParameters;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.snappy.SnappyCompressorInputStream;
import org.apache.commons.compress.compressors.snappy.SnappyCompressorOutputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

/**
 * The compression algorithms of decision records, behind one pair of calls. LZ4 uses lz4-java
 * (Commons Compress' pure-Java LZ4 is far too slow). ZSTD uses zstd-jni's one-shot calls directly:
 * Commons Compress' zstd stream wraps the same library but sets up stream buffers per record, which
 * cost about 0.8 ms per 1 KiB record here against about 0.05 ms one-shot. The others use Apache
 * Commons Compress. ZSTD and XZ need optional artifacts, checked once with a message that names them.
 *
 * <p>Decompression always targets an array of the exact size the record header declares (bounded by
 * the caller before allocation): output that is shorter, or that would run past it, is an error.
 * The algorithm ids are part of the record format and never change.
 */
final class RecordCompression {

    private static final int DEFLATE_LEVEL = 6;
    /** XZ decoders may use at most this much memory: a 64 MiB dictionary (the largest record) plus tables. */
    static final int XZ_MEMORY_LIMIT_KIB = 80 << 10;

    /** Availability of the optional algorithms, per class loader (checked once each). */
    private static final Map<Compression, Optional<String>> MISSING = new ConcurrentHashMap<>();

    private RecordCompression() {
    }

    /** The id written in the record header. */
    static byte id(Compression c) {
        return switch (c) {
            case NONE -> 0;
            case LZ4 -> 1;
            case SNAPPY -> 2;
            case DEFLATE -> 3;
            case GZIP -> 4;
            case ZSTD -> 5;
            case XZ -> 6;
        };
    }

    /** The algorithm with header id {@code id}, or empty for an id this version does not know. */
    static Optional<Compression> fromId(int id) {
        for (Compression c : Compression.values()) {
            if (id(c) == id) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** The Maven coordinates an optional algorithm needs, or empty when it needs nothing extra. */
    static Optional<String> artifact(Compression c) {
        return switch (c) {
            case ZSTD -> Optional.of("com.github.luben:zstd-jni");
            case XZ -> Optional.of("org.tukaani:xz");
            default -> Optional.empty();
        };
    }

    /**
     * Why {@code c} cannot be used here, or empty when it can: an optional artifact that is absent,
     * or present with a native library that does not load.
     */
    static Optional<String> unavailable(Compression c) {
        return MISSING.computeIfAbsent(c, k -> probe(k, RecordCompression.class.getClassLoader()));
    }

    /** {@link #unavailable} against a given class loader, without caching (for tests). */
    static Optional<String> probe(Compression c, ClassLoader loader) {
        String probeClass = switch (c) {
            case ZSTD -> "com.github.luben.zstd.Zstd";
            case XZ -> "org.tukaani.xz.XZOutputStream";
            default -> null;
        };
        if (probeClass == null) {
            return Optional.empty();
        }
        String name = c.propertyValue();
        try {
            Class.forName(probeClass, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.of("compression " + name + " needs " + artifact(c).orElseThrow()
                    + " on the class path (an optional dependency of io.atlas:atlas-log-core); add it, or choose another compression");
        }
        if (loader != RecordCompression.class.getClassLoader()) {
            return Optional.empty();
        }
        try {
            byte[] sample = new byte[64];
            byte[] out = new byte[sample.length];
            decompress(c, compress(c, sample, 0, sample.length), 0, -1, out);
            return Optional.empty();
        } catch (IOException | RuntimeException | LinkageError e) {
            return Optional.of("compression " + name + " is unusable: " + artifact(c).orElseThrow()
                    + " is on the class path but failed a self-test (" + e + "); check that its native library loads on this platform");
        }
    }

    /** Compresses {@code src[off, off+len)} into a new array. */
    static byte[] compress(Compression c, byte[] src, int off, int len) throws IOException {
        switch (c) {
            case NONE:
                return Arrays.copyOfRange(src, off, off + len);
            case LZ4: {
                byte[] out = new byte[Lz4.COMPRESSOR.maxCompressedLength(len)];
                int n = Lz4.COMPRESSOR.compress(src, off, len, out, 0, out.length);
                return Arrays.copyOf(out, n);
            }
            case ZSTD:
                return Zstd.compress(src, off, len);
            default:
                break;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(64, len / 2));
        try (OutputStream out = compressor(c, bytes, len)) {
            out.write(src, off, len);
        }
        return bytes.toByteArray();
    }

    private static OutputStream compressor(Compression c, OutputStream out, int len) throws IOException {
        return switch (c) {
            case SNAPPY -> new SnappyCompressorOutputStream(out, len,
                    SnappyCompressorOutputStream.createParameterBuilder(SnappyCompressorInputStream.DEFAULT_BLOCK_SIZE)
                            .tunedForSpeed().build());
            case DEFLATE -> {
                DeflateParameters p = new DeflateParameters();
                p.setCompressionLevel(DEFLATE_LEVEL);
                p.setWithZlibHeader(true);
                yield new DeflateCompressorOutputStream(out, p);
            }
            case GZIP -> new GzipCompressorOutputStream(out);
            case XZ -> Xz.compressor(out, len);
            default -> throw new IllegalStateException("no stream compressor for " + c);
        };
    }

    /**
     * Decompresses {@code src[off, off+len)} into all of {@code dst}. {@code len < 0} means "to the end
     * of {@code src}".
     *
     * @throws IOException if the input is not valid for the algorithm or does not decompress to
     *                     exactly {@code dst.length} bytes
     */
    static void decompress(Compression c, byte[] src, int off, int len, byte[] dst) throws IOException {
        int n = len < 0 ? src.length - off : len;
        switch (c) {
            case NONE:
                if (n != dst.length) {
                    throw new IOException("stored " + n + " bytes, expected " + dst.length);
                }
                System.arraycopy(src, off, dst, 0, n);
                return;
            case LZ4: {
                int got;
                try {
                    got = Lz4.DECOMPRESSOR.decompress(src, off, n, dst, 0, dst.length);
                } catch (RuntimeException e) {
                    throw new IOException("lz4 data is invalid or decompresses past " + dst.length + " bytes: " + e.getMessage(), e);
                }
                if (got != dst.length) {
                    throw new IOException("lz4 data decompressed to " + got + " bytes, expected " + dst.length);
                }
                return;
            }
            case ZSTD:
                Zstd.decompress(src, off, n, dst);
                return;
            default:
                break;
        }
        try (InputStream in = decompressor(c, new ByteArrayInputStream(src, off, n))) {
            int pos = 0;
            while (pos < dst.length) {
                int r = in.read(dst, pos, dst.length - pos);
                if (r < 0) {
                    throw new IOException(c.propertyValue() + " data decompressed to " + pos + " bytes, expected " + dst.length);
                }
                pos += r;
            }
            if (in.read() >= 0) {
                throw new IOException(c.propertyValue() + " data decompresses past the expected " + dst.length + " bytes");
            }
        } catch (RuntimeException e) {
            throw new IOException(c.propertyValue() + " data is invalid: " + e, e);
        }
    }

    private static InputStream decompressor(Compression c, InputStream in) throws IOException {
        return switch (c) {
            case SNAPPY -> new SnappyCompressorInputStream(in);
            case DEFLATE -> {
                DeflateParameters p = new DeflateParameters();
                p.setWithZlibHeader(true);
                yield new DeflateCompressorInputStream(in, p);
            }
            case GZIP -> GzipCompressorInputStream.builder().setInputStream(in).setDecompressConcatenated(false).get();
            case XZ -> Xz.decompressor(in);
            default -> throw new IllegalStateException("no stream decompressor for " + c);
        };
    }

    /** Kept apart so that zstd-jni classes load only when ZSTD is used. */
    /** Loaded on first use, so a log without LZ4 never unpacks lz4-java's native library. */
    private static final class Lz4 {
        private static final LZ4Factory FACTORY = LZ4Factory.fastestInstance();
        private static final LZ4Compressor COMPRESSOR = FACTORY.fastCompressor();
        private static final LZ4SafeDecompressor DECOMPRESSOR = FACTORY.safeDecompressor();
    }

    private static final class Zstd {
        private static final int LEVEL = 3;

        static byte[] compress(byte[] src, int off, int len) throws IOException {
            byte[] out = new byte[(int) Math.min(Integer.MAX_VALUE - 16, com.github.luben.zstd.Zstd.compressBound(len))];
            long n;
            try {
                n = com.github.luben.zstd.Zstd.compressByteArray(out, 0, out.length, src, off, len, LEVEL);
            } catch (RuntimeException e) {
                throw new IOException("zstd compression failed: " + e.getMessage(), e);
            }
            if (com.github.luben.zstd.Zstd.isError(n)) {
                throw new IOException("zstd compression failed: " + com.github.luben.zstd.Zstd.getErrorName(n));
            }
            return Arrays.copyOf(out, (int) n);
        }

        /** One-shot decompression into {@code dst}: memory is bounded by {@code dst}, the declared size. */
        static void decompress(byte[] src, int off, int len, byte[] dst) throws IOException {
            long n;
            try {
                n = com.github.luben.zstd.Zstd.decompressByteArray(dst, 0, dst.length, src, off, len);
            } catch (RuntimeException e) {
                throw new IOException("zstd data is invalid or decompresses past " + dst.length + " bytes: " + e.getMessage(), e);
            }
            if (com.github.luben.zstd.Zstd.isError(n)) {
                throw new IOException("zstd data is invalid or decompresses past " + dst.length + " bytes: "
                        + com.github.luben.zstd.Zstd.getErrorName(n));
            }
            if (n != dst.length) {
                throw new IOException("zstd data decompressed to " + n + " bytes, expected " + dst.length);
            }
        }
    }

    /** Kept apart so that org.tukaani.xz classes load only when XZ is used. */
    private static final class Xz {
        /** LZMA2 fast mode: on records of a few KiB it compresses about 4x faster than preset 6, within 10% of its ratio. */
        private static final int PRESET = 1;

        static OutputStream compressor(OutputStream out, int len) throws IOException {
            org.tukaani.xz.LZMA2Options options = new org.tukaani.xz.LZMA2Options(PRESET);
            // a dictionary larger than the record is wasted memory on both sides
            int dict = Math.max(org.tukaani.xz.LZMA2Options.DICT_SIZE_MIN,
                    Math.min(options.getDictSize(), Integer.highestOneBit(Math.max(1, len - 1)) << 1));
            options.setDictSize(dict);
            return org.apache.commons.compress.compressors.xz.XZCompressorOutputStream.builder()
                    .setOutputStream(out).setLzma2Options(options).get();
        }

        static InputStream decompressor(InputStream in) throws IOException {
            return org.apache.commons.compress.compressors.xz.XZCompressorInputStream.builder()
                    .setInputStream(in).setDecompressConcatenated(false).setMemoryLimitKiB(XZ_MEMORY_LIMIT_KIB).get();
        }
    }
}

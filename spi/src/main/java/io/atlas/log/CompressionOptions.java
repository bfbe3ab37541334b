package io.atlas.log;

/**
 * Which algorithm compresses decision records, and the encoded size below which records are stored
 * uncompressed (small records rarely shrink).
 *
 * @param algorithm    never null
 * @param minSizeBytes records smaller than this are not compressed; {@code >= 0}
 */
public record CompressionOptions(Compression algorithm, int minSizeBytes) {

    /** The default minimum size for compression, in bytes. */
    public static final int DEFAULT_MIN_SIZE = 512;

    public CompressionOptions {
        if (algorithm == null) {
            throw new IllegalArgumentException("compression algorithm must not be null (use Compression.NONE)");
        }
        if (minSizeBytes < 0) {
            throw new IllegalArgumentException("compression min-size must be >= 0 bytes, got " + minSizeBytes);
        }
    }

    /** No compression. */
    public static CompressionOptions none() {
        return new CompressionOptions(Compression.NONE, DEFAULT_MIN_SIZE);
    }

    /** {@code algorithm} for records of at least {@value #DEFAULT_MIN_SIZE} bytes. */
    public static CompressionOptions of(Compression algorithm) {
        return new CompressionOptions(algorithm, DEFAULT_MIN_SIZE);
    }
}

package io.atlas.log;

import java.util.Locale;

/**
 * Compression of decision records. LZ4 uses lz4-java; the others Apache Commons Compress.
 * {@link #ZSTD} needs {@code com.github.luben:zstd-jni} and {@link #XZ} needs {@code org.tukaani:xz}
 * on the class path; opening a log that asks for them without it fails with a message naming the
 * artifact. The algorithm is recorded in every record, so changing it later keeps old records readable.
 */
public enum Compression {
    NONE, LZ4, SNAPPY, DEFLATE, GZIP, ZSTD, XZ;

    /** The name used in properties files: {@code lz4}, {@code zstd}, ... */
    public String propertyValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package io.atlas.log.file;

import io.atlas.log.CorruptLogException;
import io.atlas.log.IncompatibleLogException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * What every file of the backend shares: the format version written into each file, the magic
 * numbers that tell the files apart, big-endian field access and the shape of error messages.
 */
final class FileFormat {

    /** Format version of every file this code writes; files with a higher one are refused (G10). */
    static final int VERSION = 1;
    /** Prefix of every message, so that logs can be grepped. */
    static final String BACKEND = "file";
    /** Suffix of a file being written; one left behind by a crash is deleted at open. */
    static final String TEMP_SUFFIX = ".tmp";

    static final int SEGMENT_MAGIC = 0x41545347;     // "ATSG"
    static final int INDEX_MAGIC = 0x41545349;       // "ATSI"
    static final int CHECKPOINT_MAGIC = 0x4154434B;  // "ATCK"
    static final int META_MAGIC = 0x41544D44;        // "ATMD"
    static final int STATE_MAGIC = 0x41545453;       // "ATTS"

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private FileFormat() {
    }

    static int getInt(byte[] b, int at) {
        return (int) INT.get(b, at);
    }

    static long getLong(byte[] b, int at) {
        return (long) LONG.get(b, at);
    }

    static void putInt(byte[] b, int at, int v) {
        INT.set(b, at, v);
    }

    static void putLong(byte[] b, int at, long v) {
        LONG.set(b, at, v);
    }

    /**
     * Checks the magic number and format version at the start of a file's header.
     *
     * @param what the kind of file, for the message ({@code "segment"})
     * @param seq  the seq the file is about, for the message, or -1
     * @throws CorruptLogException      for a wrong magic number or a version below 1
     * @throws IncompatibleLogException for a version above {@link #VERSION}
     */
    static void checkMagicAndVersion(Path file, long offset, String what, long seq, int magic, int expectedMagic,
            int version) {
        if (magic != expectedMagic) {
            throw corrupt(file, offset, seq, "not a " + what + " header: magic 0x" + Integer.toHexString(magic)
                    + ", expected 0x" + Integer.toHexString(expectedMagic));
        }
        if (version > VERSION) {
            throw new IncompatibleLogException(BACKEND + ": " + what + " " + file + " has format version " + version
                    + ", but this code reads versions up to " + VERSION + "; open the log with a newer atlas-log-file");
        }
        if (version < 1) {
            throw corrupt(file, offset, seq, what + " format version " + version + " does not exist (expected 1 to "
                    + VERSION + ")");
        }
    }

    /** "file: corrupt data in FILE at offset N (seq S): PROBLEM"; the seq part is left out when -1. */
    static CorruptLogException corrupt(Path file, long offset, long seq, String problem) {
        return new CorruptLogException(BACKEND + ": corrupt data in " + file + " at offset " + offset
                + (seq >= 0 ? " (seq " + seq + ")" : "") + ": " + problem);
    }

    static String hex(int v) {
        return "0x" + Integer.toHexString(v);
    }
}

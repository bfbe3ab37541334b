package io.atlas.log.lmdb;

import io.atlas.log.CorruptLogException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * What lives in {@code data.mdb}: four named databases and how their keys and values are encoded.
 *
 * <ul>
 *   <li>{@value #DECISIONS}: seq → record bytes. Keys are 8-byte big-endian, so LMDB's default
 *       (memcmp) key order is numeric order for the non-negative seqs stored, and appends use
 *       {@code MDB_APPEND}, which fills leaf pages completely.</li>
 *   <li>{@value #CHECKPOINTS}: seq (same encoding) → checkpoint state.</li>
 *   <li>{@value #METADATA}: the user's metadata, key as ASCII ({@code [A-Za-z0-9._-]}) → value.</li>
 *   <li>{@value #INTERNAL}: the backend's own records, never shared with user metadata:
 *       {@value #FORMAT_KEY} (4-byte big-endian int, {@value #FORMAT_VERSION}) and
 *       {@value #PREFIX_POINT_KEY} (8-byte big-endian long, absent until the first prefix truncation).</li>
 * </ul>
 * An environment whose main database holds no {@value #INTERNAL} database was not written by this
 * backend.
 */
final class LmdbLayout {

    /** The LMDB data file inside the log directory (LMDB's own name; the environment is a directory). */
    static final String DATA_FILE = "data.mdb";
    /** LMDB's reader table; holds nothing durable. */
    static final String LOCK_FILE = "lock.mdb";

    static final String DECISIONS = "decisions";
    static final String CHECKPOINTS = "checkpoints";
    static final String METADATA = "metadata";
    static final String INTERNAL = "atlas-internal";

    static final String FORMAT_KEY = "format-version";
    static final String PREFIX_POINT_KEY = "prefix-point";

    /** Version of this layout; a store with a higher one is refused. */
    static final int FORMAT_VERSION = 1;
    /** Named databases the environment may hold: the four above and room for later versions. */
    static final int MAX_DATABASES = 8;

    private LmdbLayout() {
    }

    /** A direct buffer (lmdbjava needs one) holding {@code seq} as 8 big-endian bytes. */
    static ByteBuffer seqKey(long seq) {
        ByteBuffer b = ByteBuffer.allocateDirect(Long.BYTES);
        b.putLong(0, seq);
        return b;
    }

    /** A direct buffer holding {@code text} in UTF-8 (ASCII for every key this backend writes). */
    static ByteBuffer textKey(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
        b.put(0, bytes);
        return b;
    }

    /** A direct buffer holding {@code bytes}. */
    static ByteBuffer direct(byte[] bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
        b.put(0, bytes);
        return b;
    }

    /**
     * The seq encoded in a key of {@code database}.
     *
     * @throws CorruptLogException if the key is not 8 bytes or encodes a negative number
     */
    static long seqOf(ByteBuffer key, String database, Path dataFile) {
        if (key.remaining() != Long.BYTES) {
            throw new CorruptLogException("LMDB store " + dataFile + ", database '" + database + "': key of "
                    + key.remaining() + " bytes where an 8-byte seq was expected");
        }
        long seq = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            seq = (seq << 8) | (key.get(key.position() + i) & 0xff);
        }
        if (seq < 0) {
            throw new CorruptLogException("LMDB store " + dataFile + ", database '" + database
                    + "': key encodes the negative seq " + seq);
        }
        return seq;
    }

    /** A copy of the bytes of a value that LMDB hands out (it points into the map and is only valid in its txn). */
    static byte[] copyOf(ByteBuffer value) {
        byte[] out = new byte[value.remaining()];
        value.get(value.position(), out);
        return out;
    }
}

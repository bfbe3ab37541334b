package io.atlas.log.core;

import io.atlas.log.Compression;
import io.atlas.log.CompressionOptions;
import io.atlas.log.CorruptLogException;
import io.atlas.log.PersistentLogException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The envelope core puts around every value it hands to a backend: decision records, checkpoints,
 * and metadata (the configuration included). Backends store it as opaque bytes; core checks it on
 * every read, so no read returns wrong bytes even from a backend without checksums of its own
 * (guarantee G4), and no hostile length makes it allocate without bound (G11).
 *
 * <pre>
 * offset  size  field
 *   0      1    format version (1)
 *   1      1    kind: 1 decision, 2 checkpoint, 3 metadata
 *   2      1    compression id of the body ({@link RecordCompression#id}); 0 for checkpoints and metadata
 *   3      1    flags, 0 in version 1
 *   4      4    uncompressed body length, big-endian
 *   8      4    CRC32C of bytes 0-7 and of the stored body, big-endian
 *  12      n    stored body (compressed or not)
 *
 * decision body:   seq (8, big-endian) | view (varint) | digest length (varint) | digest
 *                  | proof length (varint) | proof | payload (the rest)
 * checkpoint body: seq (8, big-endian) | state (the rest)
 * metadata body:   key length (1) | key (ASCII) | value (the rest)
 * </pre>
 * Each body starts with what it is stored under (seq or key), so a backend that returns another
 * record than the one asked for is caught. Only decision bodies are compressed; each record names
 * its own algorithm, so records written under another setting stay readable.
 */
final class RecordFormat {

    static final int HEADER = 12;
    static final byte VERSION = 1;
    static final byte KIND_DECISION = 1;
    static final byte KIND_CHECKPOINT = 2;
    static final byte KIND_META = 3;
    /** The largest decision record, header included, before compression: 64 MiB (G11 bound on reads too). */
    static final int MAX_DECISION_RECORD = 64 << 20;
    /** Space a segmented backend keeps for its own framing: a record may use maxSegmentSize minus this. */
    static final int SEGMENT_RESERVE = 1024;
    /** The largest array the JVM reliably allocates. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;

    private final Compression compression;
    private final int minSizeBytes;
    private final int decisionLimit;
    /** "log at DIR (backend 'x')", the start of every corruption message. */
    private final String where;

    RecordFormat(CompressionOptions compression, long maxSegmentSize, String where) {
        this.compression = compression.algorithm();
        this.minSizeBytes = compression.minSizeBytes();
        this.decisionLimit = decisionLimit(maxSegmentSize);
        this.where = where;
    }

    /** {@code min(64 MiB, maxSegmentSize - 1024)}: the largest encoded decision this log accepts. */
    static int decisionLimit(long maxSegmentSize) {
        return (int) Math.max(HEADER, Math.min(MAX_DECISION_RECORD, maxSegmentSize - SEGMENT_RESERVE));
    }

    int decisionLimit() {
        return decisionLimit;
    }

    /** A decoded decision body; arrays belong to the caller. */
    record DecisionFields(long view, byte[] digest, byte[] proof, byte[] payload) {
    }

    // ---------------------------------------------------------------- decisions

    /**
     * Encodes a decision record, compressing its body when it is large enough and compression makes it
     * smaller.
     *
     * @throws IllegalArgumentException if the record before compression exceeds {@link #decisionLimit()}
     */
    byte[] encodeDecision(long seq, long view, byte[] digest, byte[] proof, byte[] payload) throws IOException {
        long bodyLength = 8L + Varint.size(view) + Varint.size(digest.length) + digest.length
                + Varint.size(proof.length) + proof.length + payload.length;
        long encoded = HEADER + bodyLength;
        if (encoded > decisionLimit) {
            throw new IllegalArgumentException("decision at seq " + seq + " encodes to " + encoded
                    + " bytes (digest " + digest.length + ", proof " + proof.length + ", payload " + payload.length
                    + "), above the record limit of " + decisionLimit
                    + " bytes (the smaller of 64 MiB and maxSegmentSize - " + SEGMENT_RESERVE + ")");
        }
        int n = (int) bodyLength;
        boolean tryCompress = compression != Compression.NONE && n >= minSizeBytes;
        byte[] buf = new byte[tryCompress ? n : HEADER + n];
        int p = tryCompress ? 0 : HEADER;
        p = putLong(buf, p, seq);
        p = Varint.put(buf, p, view);
        p = Varint.put(buf, p, digest.length);
        System.arraycopy(digest, 0, buf, p, digest.length);
        p += digest.length;
        p = Varint.put(buf, p, proof.length);
        System.arraycopy(proof, 0, buf, p, proof.length);
        p += proof.length;
        System.arraycopy(payload, 0, buf, p, payload.length);
        if (!tryCompress) {
            return seal(buf, KIND_DECISION, Compression.NONE, n);
        }
        byte[] packed = RecordCompression.compress(compression, buf, 0, n);
        if (packed.length >= n) {
            byte[] record = new byte[HEADER + n];
            System.arraycopy(buf, 0, record, HEADER, n);
            return seal(record, KIND_DECISION, Compression.NONE, n);
        }
        byte[] record = new byte[HEADER + packed.length];
        System.arraycopy(packed, 0, record, HEADER, packed.length);
        return seal(record, KIND_DECISION, compression, n);
    }

    /**
     * Checks and decodes the decision record a backend returned for {@code seq}.
     *
     * @throws CorruptLogException naming the seq and what was wrong
     */
    DecisionFields decodeDecision(long seq, byte[] record) {
        String what = "decision record at seq " + seq;
        byte[] body = open(record, KIND_DECISION, what, MAX_DECISION_RECORD - HEADER);
        int off = body == record ? HEADER : 0;
        int end = body == record ? record.length : body.length;
        try {
            if (end - off < 8) {
                throw corrupt(what, "body is " + (end - off) + " bytes, too short for its seq");
            }
            long stored = getLong(body, off);
            if (stored != seq) {
                throw corrupt(what, "the record holds seq " + stored
                        + "; the backend returned the record of another seq");
            }
            Varint.Reader r = new Varint.Reader(body, off + 8, end);
            long view = r.next("view", Long.MAX_VALUE);
            byte[] digest = r.bytes("digest");
            byte[] proof = r.bytes("proof");
            byte[] payload = Arrays.copyOfRange(body, r.position(), end);
            return new DecisionFields(view, digest, proof, payload);
        } catch (Varint.Malformed e) {
            throw corrupt(what, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- checkpoints

    /**
     * @throws IllegalArgumentException if the state is too large for one array
     */
    byte[] encodeCheckpoint(long seq, byte[] state) {
        if (state.length > MAX_ARRAY - HEADER - 8) {
            throw new IllegalArgumentException("checkpoint at seq " + seq + " encodes to " + state.length
                    + " bytes of state, above the limit of " + (MAX_ARRAY - HEADER - 8) + " bytes");
        }
        byte[] record = new byte[HEADER + 8 + state.length];
        putLong(record, HEADER, seq);
        System.arraycopy(state, 0, record, HEADER + 8, state.length);
        return seal(record, KIND_CHECKPOINT, Compression.NONE, 8 + state.length);
    }

    /** Checks and decodes the checkpoint a backend returned for {@code seq}; returns the state bytes. */
    byte[] decodeCheckpoint(long seq, byte[] record) {
        String what = "checkpoint at seq " + seq;
        byte[] body = open(record, KIND_CHECKPOINT, what, record.length - HEADER);
        if (body.length - HEADER < 8) {
            throw corrupt(what, "body is " + (body.length - HEADER) + " bytes, too short for its seq");
        }
        long stored = getLong(body, HEADER);
        if (stored != seq) {
            throw corrupt(what, "the record holds the checkpoint of seq " + stored
                    + "; the backend returned another checkpoint");
        }
        return Arrays.copyOfRange(body, HEADER + 8, body.length);
    }

    // ---------------------------------------------------------------- metadata

    byte[] encodeMeta(String key, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.US_ASCII);
        byte[] record = new byte[HEADER + 1 + k.length + value.length];
        record[HEADER] = (byte) k.length;
        System.arraycopy(k, 0, record, HEADER + 1, k.length);
        System.arraycopy(value, 0, record, HEADER + 1 + k.length, value.length);
        return seal(record, KIND_META, Compression.NONE, record.length - HEADER);
    }

    /** Checks and decodes the metadata record a backend returned for {@code key}; returns the value. */
    byte[] decodeMeta(String key, byte[] record) {
        String what = "metadata record '" + key + "'";
        byte[] body = open(record, KIND_META, what, record.length - HEADER);
        if (body.length - HEADER < 1) {
            throw corrupt(what, "body is empty, too short for its key");
        }
        int keyLength = body[HEADER] & 0xFF;
        if (body.length - HEADER - 1 < keyLength) {
            throw corrupt(what, "key length " + keyLength + " runs past the body");
        }
        String stored = new String(body, HEADER + 1, keyLength, StandardCharsets.US_ASCII);
        if (!stored.equals(key)) {
            throw corrupt(what, "the record holds key '" + stored + "'; the backend returned another entry");
        }
        return Arrays.copyOfRange(body, HEADER + 1 + keyLength, body.length);
    }

    // ---------------------------------------------------------------- envelope

    /** Fills in the header of {@code record} (body already at offset 12) and its CRC. */
    private static byte[] seal(byte[] record, byte kind, Compression c, int uncompressedLength) {
        record[0] = VERSION;
        record[1] = kind;
        record[2] = RecordCompression.id(c);
        record[3] = 0;
        putInt(record, 4, uncompressedLength);
        putInt(record, 8, crc(record));
        return record;
    }

    static int crc(byte[] record) {
        CRC32C crc = new CRC32C();
        crc.update(record, 0, 8);
        crc.update(record, HEADER, record.length - HEADER);
        return (int) crc.getValue();
    }

    /**
     * Checks the envelope and returns the uncompressed body: {@code record} itself (body at offset 12)
     * when stored uncompressed, otherwise a new array holding only the body.
     */
    private byte[] open(byte[] record, byte kind, String what, int maxBody) {
        if (record.length < HEADER) {
            throw corrupt(what, "record is " + record.length + " bytes, shorter than the " + HEADER + "-byte header");
        }
        int stored = getInt(record, 8);
        int computed = crc(record);
        if (stored != computed) {
            throw corrupt(what, String.format("CRC32C mismatch (stored %08x, computed %08x over %d bytes)",
                    stored, computed, record.length));
        }
        if (record[0] != VERSION) {
            throw corrupt(what, "record format version " + (record[0] & 0xFF) + ", expected " + VERSION);
        }
        if (record[1] != kind) {
            throw corrupt(what, "record kind " + record[1] + " (" + kindName(record[1]) + "), expected "
                    + kind + " (" + kindName(kind) + ")");
        }
        if (record[3] != 0) {
            throw corrupt(what, "unknown flags " + (record[3] & 0xFF) + " in a version " + VERSION + " record");
        }
        Optional<Compression> algorithm = RecordCompression.fromId(record[2]);
        if (algorithm.isEmpty() || (kind != KIND_DECISION && algorithm.get() != Compression.NONE)) {
            throw corrupt(what, "unknown compression id " + (record[2] & 0xFF));
        }
        int length = getInt(record, 4);
        int storedLength = record.length - HEADER;
        if (length < 0 || length > maxBody) {
            throw corrupt(what, "declares " + Integer.toUnsignedLong(length) + " uncompressed bytes, outside 0.."
                    + maxBody + " (refused before allocating)");
        }
        Compression c = algorithm.get();
        if (c == Compression.NONE) {
            if (length != storedLength) {
                throw corrupt(what, "declares " + length + " bytes but stores " + storedLength);
            }
            return record;
        }
        RecordCompression.unavailable(c).ifPresent(reason -> {
            throw new PersistentLogException(where + ": cannot read " + what + ": " + reason);
        });
        byte[] body = new byte[length];
        try {
            RecordCompression.decompress(c, record, HEADER, storedLength, body);
        } catch (IOException e) {
            throw new CorruptLogException(where + ": " + what + " is corrupt: " + e.getMessage(), e);
        }
        return body;
    }

    private static String kindName(byte kind) {
        return switch (kind) {
            case KIND_DECISION -> "decision";
            case KIND_CHECKPOINT -> "checkpoint";
            case KIND_META -> "metadata";
            default -> "unknown";
        };
    }

    private CorruptLogException corrupt(String what, String problem) {
        return new CorruptLogException(where + ": " + what + " is corrupt: " + problem);
    }

    static int putLong(byte[] b, int p, long v) {
        for (int i = 7; i >= 0; i--) {
            b[p + i] = (byte) v;
            v >>>= 8;
        }
        return p + 8;
    }

    static long getLong(byte[] b, int p) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[p + i] & 0xFF);
        }
        return v;
    }

    static void putInt(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 24);
        b[p + 1] = (byte) (v >>> 16);
        b[p + 2] = (byte) (v >>> 8);
        b[p + 3] = (byte) v;
    }

    static int getInt(byte[] b, int p) {
        return ((b[p] & 0xFF) << 24) | ((b[p + 1] & 0xFF) << 16) | ((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF);
    }

    /** Unsigned LEB128 varints, as in protobuf: small values take one byte. */
    static final class Varint {
        private Varint() {
        }

        static int size(long v) {
            int n = 1;
            while ((v & ~0x7FL) != 0) {
                v >>>= 7;
                n++;
            }
            return n;
        }

        static int put(byte[] b, int p, long v) {
            while ((v & ~0x7FL) != 0) {
                b[p++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            b[p++] = (byte) v;
            return p;
        }

        /** A bad varint or length; turned into a corruption message by the caller. */
        static final class Malformed extends Exception {
            private static final long serialVersionUID = 1L;

            Malformed(String message) {
                super(message, null, false, false);
            }
        }

        /** Reads varints and length-prefixed arrays from {@code b[pos, end)}, bounding every length. */
        static final class Reader {
            private final byte[] b;
            private int pos;
            private final int end;

            Reader(byte[] b, int pos, int end) {
                this.b = b;
                this.pos = pos;
                this.end = end;
            }

            int position() {
                return pos;
            }

            long next(String field, long max) throws Malformed {
                long v = 0;
                for (int shift = 0; shift < 64; shift += 7) {
                    if (pos >= end) {
                        throw new Malformed(field + " runs past the end of the body");
                    }
                    byte x = b[pos++];
                    v |= (long) (x & 0x7F) << shift;
                    if ((x & 0x80) == 0) {
                        if (v < 0 || v > max || (shift == 63 && (x & 0x7F) > 1)) {
                            throw new Malformed(field + " is " + Long.toUnsignedString(v) + ", expected 0.." + max);
                        }
                        return v;
                    }
                }
                throw new Malformed(field + " is longer than 10 bytes");
            }

            byte[] bytes(String field) throws Malformed {
                long length = next(field + " length", Integer.MAX_VALUE);
                if (length > end - pos) {
                    throw new Malformed(field + " length " + length + " runs past the body (" + (end - pos) + " bytes left)");
                }
                int n = (int) length;
                byte[] out = Arrays.copyOfRange(b, pos, pos + n);
                pos += n;
                return out;
            }
        }
    }
}

package io.atlas.log.core;

import io.atlas.log.Compression;
import io.atlas.log.CompressionOptions;
import io.atlas.log.CorruptLogException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The record envelope: round trips, checksums, bounds (G4, G11). */
class RecordFormatTest {

    private static final long SEED = Long.getLong("atlas.test.seed", System.nanoTime());

    static {
        System.out.println("RecordFormatTest seed: " + SEED + " (rerun with -Datlas.test.seed=" + SEED + ")");
    }

    private static RecordFormat format(Compression c) {
        return new RecordFormat(new CompressionOptions(c, 64), 64L << 20, "log at /t (backend 'test')");
    }

    /** Compressible but not trivial: text with some randomness. */
    private static byte[] payload(int size) {
        Random r = new Random(SEED);
        byte[] b = new byte[size];
        String words = "decision commit view prepare proof digest replica quorum ";
        for (int i = 0; i < size; i++) {
            b[i] = r.nextInt(8) == 0 ? (byte) r.nextInt(256) : (byte) words.charAt(i % words.length());
        }
        return b;
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void decisionRoundTripsUnderEveryCompression(Compression c) throws IOException {
        RecordFormat f = format(c);
        byte[] digest = {1, 2, 3};
        byte[] proof = payload(40);
        for (int size : new int[]{0, 1, 1000, 100_000}) {
            byte[] p = payload(size);
            byte[] record = f.encodeDecision(42, 7, digest, proof, p);
            RecordFormat.DecisionFields d = f.decodeDecision(42, record);
            assertEquals(7, d.view());
            assertArrayEquals(digest, d.digest());
            assertArrayEquals(proof, d.proof());
            assertArrayEquals(p, d.payload(), c + " size " + size);
            boolean compressed = record[2] != 0;
            if (c == Compression.NONE || size < 64) {
                assertEquals(0, record[2], "not compressed: " + c + " size " + size);
            } else {
                assertTrue(compressed, c + " should shrink " + size + " bytes of text");
                assertEquals(RecordCompression.id(c), record[2]);
                assertTrue(record.length < size, c + ": " + record.length + " >= " + size);
            }
            // any other reader decodes it: the record names its algorithm
            assertArrayEquals(p, format(Compression.NONE).decodeDecision(42, record).payload());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void compressionStartsAtMinSize(Compression c) throws IOException {
        RecordFormat f = new RecordFormat(new CompressionOptions(c, 256), 64L << 20, "log at /t (backend 'test')");
        byte[] zeros = new byte[256 - 8 - 3];
        // body: seq (8), view (1), digest length (1), proof length (1), payload: exactly 256 bytes
        byte[] atMin = f.encodeDecision(1, 0, new byte[0], new byte[0], zeros);
        assertEquals(RecordCompression.id(c), atMin[2], c + " at min-size");
        byte[] below = f.encodeDecision(1, 0, new byte[0], new byte[0], Arrays.copyOf(zeros, zeros.length - 1));
        assertEquals(0, below[2], c + " below min-size");
        assertEquals(RecordFormat.HEADER + 255, below.length);
    }

    @Test
    void incompressibleDataIsStoredUncompressed() throws IOException {
        byte[] random = new byte[4096];
        new Random(SEED).nextBytes(random);
        byte[] record = format(Compression.DEFLATE).encodeDecision(1, 0, new byte[0], new byte[0], random);
        assertEquals(0, record[2]);
        assertEquals(RecordFormat.HEADER + 8 + 1 + 1 + 1 + random.length, record.length);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void g4_everyFlippedByteIsDetected(Compression c) throws IOException {
        RecordFormat f = format(c);
        byte[] record = f.encodeDecision(5, 3, new byte[]{9}, new byte[]{8}, payload(300));
        for (int i = 0; i < record.length; i++) {
            byte[] bad = record.clone();
            bad[i] ^= 0x10;
            int at = i;
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> f.decodeDecision(5, bad),
                    "flipped byte " + at + " of " + record.length);
            assertTrue(e.getMessage().startsWith("log at /t (backend 'test'): decision record at seq 5 is corrupt: "), e.getMessage());
            assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
        }
    }

    @Test
    void g4_truncatedAndEmptyRecordsAreCorrupt() throws IOException {
        RecordFormat f = format(Compression.NONE);
        byte[] record = f.encodeDecision(5, 0, new byte[0], new byte[0], payload(100));
        for (int len : new int[]{0, 5, 11, 12, 50, record.length - 1}) {
            byte[] cut = Arrays.copyOf(record, len);
            assertThrows(CorruptLogException.class, () -> f.decodeDecision(5, cut), "length " + len);
        }
        byte[] zeros = new byte[record.length];
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> f.decodeDecision(5, zeros));
        assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
    }

    @Test
    void g4_aRecordOfAnotherSeqIsCaught() throws IOException {
        RecordFormat f = format(Compression.NONE);
        byte[] record = f.encodeDecision(5, 0, new byte[0], new byte[0], payload(10));
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> f.decodeDecision(6, record));
        assertTrue(e.getMessage().contains("decision record at seq 6 is corrupt: the record holds seq 5"), e.getMessage());
    }

    @Test
    void g4_aRecordOfAnotherKindIsCaught() {
        RecordFormat f = format(Compression.NONE);
        byte[] checkpoint = f.encodeCheckpoint(5, payload(20));
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> f.decodeDecision(5, checkpoint));
        assertTrue(e.getMessage().contains("record kind 2 (checkpoint), expected 1 (decision)"), e.getMessage());
        byte[] meta = f.encodeMeta("view", new byte[]{1});
        assertThrows(CorruptLogException.class, () -> f.decodeCheckpoint(5, meta));
    }

    /** A hostile record with a valid CRC: every header field is checked before use. */
    private static byte[] forge(byte[] record, int offset, int value) {
        byte[] b = record.clone();
        RecordFormat.putInt(b, offset, value);
        RecordFormat.putInt(b, 8, RecordFormat.crc(b));
        return b;
    }

    private static byte[] forgeByte(byte[] record, int offset, int value) {
        byte[] b = record.clone();
        b[offset] = (byte) value;
        RecordFormat.putInt(b, 8, RecordFormat.crc(b));
        return b;
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void g11_decompressionBombIsRefusedBeforeAllocating(Compression c) throws IOException {
        RecordFormat f = format(c);
        byte[] record = f.encodeDecision(5, 0, new byte[0], new byte[0], payload(5000));
        assertEquals(RecordCompression.id(c), record[2]);
        for (int declared : new int[]{Integer.MAX_VALUE, -1, RecordFormat.MAX_DECISION_RECORD}) {
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> f.decodeDecision(5, forge(record, 4, declared)));
            assertTrue(e.getMessage().contains("uncompressed bytes, outside 0.." + (RecordFormat.MAX_DECISION_RECORD - 12)
                    + " (refused before allocating)"), e.getMessage());
        }
        int actual = RecordFormat.getInt(record, 4);
        // a length that is allowed but wrong: short or long output is refused, not padded or cut
        for (int declared : new int[]{actual - 1, actual + 1, actual * 2, 0}) {
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> f.decodeDecision(5, forge(record, 4, declared)),
                    c + " declared " + declared + " instead of " + actual);
            assertTrue(e.getMessage().contains("is corrupt"), e.getMessage());
        }
    }

    @Test
    void g11_uncompressedLengthMustMatchStoredLength() throws IOException {
        RecordFormat f = format(Compression.NONE);
        byte[] record = f.encodeDecision(5, 0, new byte[0], new byte[0], payload(50));
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> f.decodeDecision(5, forge(record, 4, 10)));
        assertTrue(e.getMessage().contains("declares 10 bytes but stores"), e.getMessage());
    }

    @Test
    void g11_fieldLengthsInsideTheBodyAreBounded() throws IOException {
        RecordFormat f = format(Compression.NONE);
        byte[] record = f.encodeDecision(5, 0, new byte[0], new byte[0], payload(50));
        // body: seq(8) view(1) digestLen(1) ...: claim a 5-byte varint digest length far beyond the body
        byte[] b = record.clone();
        int p = RecordFormat.HEADER + 8 + 1;
        b[p] = (byte) 0xFF;
        b[p + 1] = (byte) 0xFF;
        b[p + 2] = (byte) 0xFF;
        b[p + 3] = (byte) 0x7F;
        RecordFormat.putInt(b, 8, RecordFormat.crc(b));
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> f.decodeDecision(5, b));
        assertTrue(e.getMessage().contains("digest length"), e.getMessage());
    }

    @Test
    void unknownVersionFlagsAndCompressionAreCorrupt() throws IOException {
        RecordFormat f = format(Compression.NONE);
        byte[] record = f.encodeDecision(5, 0, new byte[0], new byte[0], payload(50));
        assertTrue(assertThrows(CorruptLogException.class, () -> f.decodeDecision(5, forgeByte(record, 0, 2)))
                .getMessage().contains("record format version 2, expected 1"));
        assertTrue(assertThrows(CorruptLogException.class, () -> f.decodeDecision(5, forgeByte(record, 3, 1)))
                .getMessage().contains("unknown flags 1"));
        assertTrue(assertThrows(CorruptLogException.class, () -> f.decodeDecision(5, forgeByte(record, 2, 99)))
                .getMessage().contains("unknown compression id 99"));
    }

    @Test
    void recordLimitIsTheSmallerOf64MiBAndSegmentSizeMinus1KiB() throws IOException {
        assertEquals(64 << 20, RecordFormat.decisionLimit(1L << 30));
        assertEquals(4096 - 1024, RecordFormat.decisionLimit(4096));
        RecordFormat small = new RecordFormat(CompressionOptions.none(), 4096, "log at /t (backend 'test')");
        int fits = 4096 - 1024 - RecordFormat.HEADER - 8 - 3;
        small.encodeDecision(1, 0, new byte[0], new byte[0], new byte[fits]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> small.encodeDecision(1, 0, new byte[0], new byte[0], new byte[fits + 1]));
        assertEquals("decision at seq 1 encodes to 3073 bytes (digest 0, proof 0, payload " + (fits + 1)
                + "), above the record limit of 3072 bytes (the smaller of 64 MiB and maxSegmentSize - 1024)", e.getMessage());
    }

    @Test
    void largeViewsAndSeqsRoundTrip() throws IOException {
        RecordFormat f = format(Compression.NONE);
        for (long v : new long[]{0, 127, 128, 16383, 16384, Integer.MAX_VALUE, Long.MAX_VALUE}) {
            byte[] record = f.encodeDecision(Long.MAX_VALUE, v, new byte[0], new byte[0], new byte[0]);
            assertEquals(v, f.decodeDecision(Long.MAX_VALUE, record).view());
        }
    }

    @Test
    void checkpointsAndMetadataRoundTripAndCarryTheirIdentity() {
        RecordFormat f = format(Compression.LZ4);
        byte[] state = payload(10_000);
        byte[] cp = f.encodeCheckpoint(77, state);
        assertEquals(0, cp[2], "checkpoints are not compressed");
        assertArrayEquals(state, f.decodeCheckpoint(77, cp));
        CorruptLogException wrongSeq = assertThrows(CorruptLogException.class, () -> f.decodeCheckpoint(78, cp));
        assertTrue(wrongSeq.getMessage().contains("checkpoint at seq 78 is corrupt: the record holds the checkpoint of seq 77"),
                wrongSeq.getMessage());

        byte[] value = "view=3".getBytes(StandardCharsets.UTF_8);
        byte[] meta = f.encodeMeta("replica.view", value);
        assertArrayEquals(value, f.decodeMeta("replica.view", meta));
        assertArrayEquals(new byte[0], f.decodeMeta("k", f.encodeMeta("k", new byte[0])));
        CorruptLogException wrongKey = assertThrows(CorruptLogException.class, () -> f.decodeMeta("replica.vote", meta));
        assertTrue(wrongKey.getMessage().contains("the record holds key 'replica.view'"), wrongKey.getMessage());

        byte[] bad = meta.clone();
        bad[bad.length - 1] ^= 1;
        assertThrows(CorruptLogException.class, () -> f.decodeMeta("replica.view", bad));
        byte[] badCp = cp.clone();
        badCp[20] ^= 1;
        assertThrows(CorruptLogException.class, () -> f.decodeCheckpoint(77, badCp));
    }
}

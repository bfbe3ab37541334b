package io.atlas.log.tck.crash;

import io.atlas.log.Decision;
import io.atlas.log.SeqNo;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * The bytes the crash workload stores, derived from {@code (seed, seq, id)} alone, so that the parent
 * process can check what a killed child stored byte for byte without receiving the bytes.
 *
 * <p>Every attempt to store something gets a fresh id (see {@link Workload}). A decision carries its
 * id as its {@code view}; checkpoint states, configurations and metadata values start with their id
 * as 8 big-endian bytes. A value read back after a crash therefore names the attempt that wrote it,
 * and {@link CrashVerifier} regenerates that attempt's bytes and compares.
 */
final class Payloads {

    /** Smallest decision payload and checkpoint state, in bytes. */
    static final int MIN_SIZE = 16;
    /** Largest decision payload and checkpoint state, in bytes. */
    static final int MAX_SIZE = 64 << 10;

    private static final long DECISION = 0x44;
    private static final long CHECKPOINT = 0x43;
    private static final long CONFIGURATION = 0x46;
    private static final long METADATA = 0x4d;

    private Payloads() {
    }

    /**
     * The decision attempt {@code id} stores at {@code seq}: a payload of 16 B to 64 KiB
     * (log-uniform, so small and large records both occur often), an 8-byte digest and a proof of
     * 0 to 64 bytes.
     */
    static Decision<byte[]> decision(long seed, long seq, long id) {
        SplittableRandom r = new SplittableRandom(mix(seed, DECISION, seq, id));
        byte[] payload = bytes(r, size(r, MIN_SIZE, MAX_SIZE));
        byte[] digest = bytes(r, 8);
        byte[] proof = bytes(r, r.nextInt(65));
        return new Decision<>(SeqNo.of(seq), id, digest, payload, proof);
    }

    /** The checkpoint state attempt {@code id} stores at {@code seq}: 16 B to 64 KiB. */
    static byte[] checkpoint(long seed, long seq, long id) {
        return tagged(new SplittableRandom(mix(seed, CHECKPOINT, seq, id)), id, MIN_SIZE, MAX_SIZE);
    }

    /** The configuration attempt {@code id} stores: 16 B to 4 KiB. */
    static byte[] configuration(long seed, long id) {
        return tagged(new SplittableRandom(mix(seed, CONFIGURATION, 0, id)), id, MIN_SIZE, 4 << 10);
    }

    /** The metadata value attempt {@code id} stores under {@code key}: 8 B to 64 KiB, mostly small. */
    static byte[] metadata(long seed, String key, long id) {
        long k = crc(key.getBytes(StandardCharsets.UTF_8));
        SplittableRandom r = new SplittableRandom(mix(seed, METADATA, k, id));
        int max = r.nextInt(8) == 0 ? MAX_SIZE : 256;
        return tagged(r, id, 8, max);
    }

    /** The attempt id a checkpoint state, configuration or metadata value starts with. */
    static OptionalLong idOf(byte[] value) {
        return value.length < 8 ? OptionalLong.empty() : OptionalLong.of(ByteBuffer.wrap(value, 0, 8).getLong());
    }

    static long crc(byte[] bytes) {
        CRC32 c = new CRC32();
        c.update(bytes);
        return c.getValue();
    }

    /** A checksum over every field of a decision, for protocol lines and summaries. */
    static long crc(Decision<byte[]> d) {
        CRC32 c = new CRC32();
        c.update(ByteBuffer.allocate(16).putLong(d.seqNo().value()).putLong(d.view()).array());
        c.update(d.digest());
        c.update(d.payload());
        c.update(ByteBuffer.allocate(4).putInt(d.proof().length).array());
        c.update(d.proof());
        return c.getValue();
    }

    private static byte[] tagged(SplittableRandom r, long id, int min, int max) {
        byte[] b = bytes(r, size(r, min, max));
        ByteBuffer.wrap(b).putLong(id);
        return b;
    }

    private static int size(SplittableRandom r, int min, int max) {
        double log = r.nextDouble(Math.log(min), Math.log(max + 1.0));
        return (int) Math.max(min, Math.min(max, Math.floor(Math.exp(log))));
    }

    private static byte[] bytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i += 8) {
            long v = r.nextLong();
            for (int j = i; j < Math.min(n, i + 8); j++) {
                b[j] = (byte) v;
                v >>>= 8;
            }
        }
        return b;
    }

    /** SplitMix64 over the parts, so nearby inputs give unrelated streams. */
    static long mix(long... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (long p : parts) {
            h ^= p;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
            h *= 0x94D049BB133111EBL;
            h ^= h >>> 29;
        }
        return h;
    }
}

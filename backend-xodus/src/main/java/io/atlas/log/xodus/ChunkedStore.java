package io.atlas.log.xodus;

import io.atlas.log.CorruptLogException;
import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.Transaction;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A pair of Xodus stores holding byte values of any size under byte keys: {@code <name>} holds each value
 * behind a one-byte tag, {@code <name>-chunks} the pieces of values too large to be one Xodus value (a
 * Xodus value must fit in one {@code .xd} file).
 *
 * <p>Value layout in {@code <name>}: {@code 0x00} followed by the value itself; or {@code 0x01}, the total
 * length (int, big-endian) and the number of chunks (int, big-endian), with chunk {@code i} stored in
 * {@code <name>-chunks} under the key followed by {@code i} (int, big-endian). A value and its chunks are
 * written and deleted in one transaction.
 */
final class ChunkedStore {

    static final byte INLINE = 0;
    static final byte CHUNKED = 1;
    private static final int CHUNKED_HEADER = 9;

    private final Store values;
    private final Store chunks;
    private final Path directory;

    ChunkedStore(Store values, Store chunks, Path directory) {
        this.values = values;
        this.chunks = chunks;
        this.directory = directory;
    }

    /** Stores {@code value} under a key that is above every key stored ({@link Store#putRight}). */
    void append(Transaction txn, ByteIterable key, byte[] value, int chunkSize) {
        values.putRight(txn, key, encode(txn, key, value, chunkSize));
    }

    /** Stores {@code value}, replacing the value under {@code key} and its chunks. */
    void put(Transaction txn, ByteIterable key, byte[] value, int chunkSize) {
        delete(txn, key);
        values.put(txn, key, encode(txn, key, value, chunkSize));
    }

    private ByteIterable encode(Transaction txn, ByteIterable key, byte[] value, int chunkSize) {
        if (value.length <= chunkSize) {
            byte[] tagged = new byte[value.length + 1];
            tagged[0] = INLINE;
            System.arraycopy(value, 0, tagged, 1, value.length);
            return new ArrayByteIterable(tagged);
        }
        int count = (int) ((value.length + (long) chunkSize - 1) / chunkSize);
        for (int i = 0; i < count; i++) {
            int from = i * chunkSize;
            int to = (int) Math.min(value.length, (long) from + chunkSize);
            chunks.put(txn, chunkKey(key, i), new ArrayByteIterable(Arrays.copyOfRange(value, from, to)));
        }
        return new ArrayByteIterable(ByteBuffer.allocate(CHUNKED_HEADER).put(CHUNKED).putInt(value.length).putInt(count).array());
    }

    /** The value under {@code key}, or null. {@code what} names the entry in a corruption message. */
    byte[] get(Transaction txn, ByteIterable key, String what) {
        ByteIterable stored = values.get(txn, key);
        return stored == null ? null : decode(txn, key, stored, what);
    }

    /** Decodes a tagged value read from {@code <name>} (by a cursor, for example). */
    byte[] decode(Transaction txn, ByteIterable key, ByteIterable stored, String what) {
        int length = stored.getLength();
        byte[] bytes = stored.getBytesUnsafe();
        if (length >= 1 && bytes[0] == INLINE) {
            return Arrays.copyOfRange(bytes, 1, length);
        }
        if (length != CHUNKED_HEADER || bytes[0] != CHUNKED) {
            throw corrupt(what, "value of " + length + " bytes has tag " + (length == 0 ? "none" : Integer.toString(bytes[0]))
                    + "; expected " + INLINE + " (inline) or " + CHUNKED + " (chunked, 9 bytes)");
        }
        ByteBuffer header = ByteBuffer.wrap(bytes, 1, 8);
        int total = header.getInt();
        int count = header.getInt();
        if (total < 0 || count < 1) {
            throw corrupt(what, "chunked value header says " + total + " bytes in " + count + " chunks");
        }
        // gather the chunks before allocating, so a damaged header cannot make us allocate more than is stored
        List<ByteIterable> parts = new ArrayList<>(Math.min(count, 1024));
        long sum = 0;
        for (int i = 0; i < count; i++) {
            ByteIterable part = chunks.get(txn, chunkKey(key, i));
            if (part == null) {
                throw corrupt(what, "chunk " + i + " of " + count + " is missing from store " + chunks.getName());
            }
            sum += part.getLength();
            if (sum > total) {
                break;
            }
            parts.add(part);
        }
        if (sum != total) {
            throw corrupt(what, "chunks hold " + (sum > total ? "more than " : "") + sum + " bytes; the header says " + total);
        }
        byte[] value = new byte[total];
        int at = 0;
        for (ByteIterable part : parts) {
            System.arraycopy(part.getBytesUnsafe(), 0, value, at, part.getLength());
            at += part.getLength();
        }
        return value;
    }

    /** Deletes the value under {@code key} and its chunks; false when there was none. */
    boolean delete(Transaction txn, ByteIterable key) {
        ByteIterable stored = values.get(txn, key);
        if (stored == null) {
            return false;
        }
        if (stored.getLength() == CHUNKED_HEADER && stored.getBytesUnsafe()[0] == CHUNKED) {
            int count = ByteBuffer.wrap(stored.getBytesUnsafe(), 5, 4).getInt();
            // stop at the first missing chunk: a damaged count must not make this loop run for ever
            int i = 0;
            while (i < count && chunks.delete(txn, chunkKey(key, i))) {
                i++;
            }
        }
        return values.delete(txn, key);
    }

    Store values() {
        return values;
    }

    private static ByteIterable chunkKey(ByteIterable key, int index) {
        int length = key.getLength();
        byte[] bytes = Arrays.copyOf(key.getBytesUnsafe(), length + 4);
        ByteBuffer.wrap(bytes, length, 4).putInt(index);
        return new ArrayByteIterable(bytes);
    }

    private CorruptLogException corrupt(String what, String problem) {
        return new CorruptLogException("xodus: corrupt " + what + " in store " + values.getName() + " of " + directory
                + ": " + problem);
    }
}

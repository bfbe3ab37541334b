package io.atlas.log.file;

import io.atlas.log.CorruptLogException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * Metadata, one file per key: {@code meta-<key>.meta} holding
 * {@code magic:int version:int keyLength:int valueLength:int crc:int}, the key (ASCII) and the
 * value. The CRC32C covers the first 16 header bytes, the key and the value. The key is stored too,
 * so a file renamed or shared under another name is detected. Each file is replaced atomically
 * ({@link AtomicFile}); a small value per file keeps a frequent update (a vote) from rewriting the others.
 */
final class MetaStore {

    static final Pattern KEY = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern NAME = Pattern.compile("meta-[A-Za-z0-9._-]{1,128}\\.meta");
    private static final int HEADER_SIZE = 20;
    private static final int CHECKED = 16;
    private static final int MAX_VALUE = Integer.MAX_VALUE - 8 - HEADER_SIZE - 128;

    private final FileIo io;
    private final Path dir;

    MetaStore(FileIo io, Path dir) {
        this.io = io;
        this.dir = dir;
    }

    static boolean isName(String fileName) {
        return NAME.matcher(fileName).matches();
    }

    private Path path(String key) {
        return dir.resolve("meta-" + key + ".meta");
    }

    void put(String key, byte[] value) throws IOException {
        if (value.length > MAX_VALUE) {
            throw new IllegalArgumentException(FileFormat.BACKEND + ": metadata value of '" + key + "' is "
                    + value.length + " bytes; the limit is " + MAX_VALUE + " bytes");
        }
        byte[] k = key.getBytes(StandardCharsets.US_ASCII);
        byte[] header = new byte[HEADER_SIZE];
        FileFormat.putInt(header, 0, FileFormat.META_MAGIC);
        FileFormat.putInt(header, 4, FileFormat.VERSION);
        FileFormat.putInt(header, 8, k.length);
        FileFormat.putInt(header, 12, value.length);
        FileFormat.putInt(header, CHECKED, crc(header, k, value));
        AtomicFile.write(io, dir, path(key), header, k, value);
    }

    /**
     * @throws CorruptLogException      if the file is damaged
     * @throws io.atlas.log.IncompatibleLogException if a newer format wrote it
     */
    Optional<byte[]> get(String key) throws IOException {
        Path file = path(key);
        Optional<FileHandle> opened = AtomicFile.openIfExists(io, file);
        if (opened.isEmpty()) {
            return Optional.empty();
        }
        try (FileHandle h = opened.get()) {
            long size = h.size();
            byte[] header = new byte[HEADER_SIZE];
            int got = h.readFully(header, 0, HEADER_SIZE, 0);
            if (got < HEADER_SIZE) {
                throw corrupt(file, got, key, "file of " + size + " bytes is shorter than its " + HEADER_SIZE
                        + "-byte header");
            }
            FileFormat.checkMagicAndVersion(file, 0, "metadata", -1, FileFormat.getInt(header, 0), FileFormat.META_MAGIC,
                    FileFormat.getInt(header, 4));
            int keyLength = FileFormat.getInt(header, 8);
            int valueLength = FileFormat.getInt(header, 12);
            // Lengths are trusted only once they add up to the file size: no allocation beyond the file (G11).
            if (keyLength < 1 || keyLength > 128 || valueLength < 0
                    || (long) HEADER_SIZE + keyLength + valueLength != size) {
                throw corrupt(file, 8, key, "key length " + keyLength + " and value length " + valueLength
                        + " do not match the file size " + size);
            }
            byte[] body = new byte[keyLength + valueLength];
            if (h.readFully(body, 0, body.length, HEADER_SIZE) < body.length) {
                throw corrupt(file, HEADER_SIZE, key, "cut off: the file shrank while being read");
            }
            byte[] k = Arrays.copyOfRange(body, 0, keyLength);
            byte[] value = Arrays.copyOfRange(body, keyLength, body.length);
            int stored = FileFormat.getInt(header, CHECKED);
            int computed = crc(header, k, value);
            if (stored != computed) {
                throw corrupt(file, 0, key, "CRC32C mismatch (stored " + FileFormat.hex(stored) + ", computed "
                        + FileFormat.hex(computed) + ")");
            }
            if (!Arrays.equals(k, key.getBytes(StandardCharsets.US_ASCII))) {
                throw corrupt(file, HEADER_SIZE, key, "the file holds key '" + new String(k, StandardCharsets.US_ASCII)
                        + "'");
            }
            return Optional.of(value);
        }
    }

    private static CorruptLogException corrupt(Path file, long offset, String key, String problem) {
        return new CorruptLogException(FileFormat.BACKEND + ": corrupt metadata '" + key + "' in " + file
                + " at offset " + offset + ": " + problem);
    }

    private static int crc(byte[] header, byte[] key, byte[] value) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, CHECKED);
        crc.update(key, 0, key.length);
        crc.update(value, 0, value.length);
        return (int) crc.getValue();
    }
}

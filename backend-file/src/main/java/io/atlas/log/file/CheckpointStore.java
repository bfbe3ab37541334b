package io.atlas.log.file;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * Checkpoints, one file each: {@code checkpoint-<seq>.ckpt} (20 digits) holding
 * {@code magic:int version:int seq:long length:int crc:int} then the state. The CRC32C covers the
 * first 20 header bytes and the state. Each file is replaced atomically ({@link AtomicFile}); the
 * set of seqs is listed once at open and kept in memory.
 */
final class CheckpointStore {

    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d{20})\\.ckpt");
    private static final int HEADER_SIZE = 24;
    private static final int CHECKED = 20;
    /** Largest array the JVM reliably allocates. */
    private static final int MAX_STATE = Integer.MAX_VALUE - 8 - HEADER_SIZE;

    private final FileIo io;
    private final Path dir;
    private final ConcurrentSkipListSet<Long> seqs = new ConcurrentSkipListSet<>();

    CheckpointStore(FileIo io, Path dir) {
        this.io = io;
        this.dir = dir;
    }

    static boolean isName(String fileName) {
        return NAME.matcher(fileName).matches();
    }

    /** Learns the stored checkpoints from the directory listing made at open. */
    void load(List<Path> entries) {
        for (Path p : entries) {
            Matcher m = NAME.matcher(p.getFileName().toString());
            if (m.matches()) {
                try {
                    seqs.add(Long.parseLong(m.group(1)));
                } catch (NumberFormatException e) {
                    // 20 digits above Long.MAX_VALUE: not a name this backend writes, so not its file
                }
            }
        }
    }

    private Path path(long seq) {
        return dir.resolve(String.format("checkpoint-%020d.ckpt", seq));
    }

    void put(long seq, byte[] state) throws IOException {
        if (state.length > MAX_STATE) {
            throw new IllegalArgumentException(FileFormat.BACKEND + ": checkpoint at seq " + seq + " is " + state.length
                    + " bytes; the limit is " + MAX_STATE + " bytes");
        }
        byte[] header = new byte[HEADER_SIZE];
        FileFormat.putInt(header, 0, FileFormat.CHECKPOINT_MAGIC);
        FileFormat.putInt(header, 4, FileFormat.VERSION);
        FileFormat.putLong(header, 8, seq);
        FileFormat.putInt(header, 16, state.length);
        FileFormat.putInt(header, CHECKED, crc(header, state));
        AtomicFile.write(io, dir, path(seq), header, state);
        seqs.add(seq);
    }

    /**
     * @throws io.atlas.log.CorruptLogException      if the file is damaged
     * @throws io.atlas.log.IncompatibleLogException if a newer format wrote it
     */
    Optional<byte[]> read(long seq) throws IOException {
        Path file = path(seq);
        Optional<FileHandle> opened = AtomicFile.openIfExists(io, file);
        if (opened.isEmpty()) {
            return Optional.empty();
        }
        try (FileHandle h = opened.get()) {
            long size = h.size();
            byte[] header = new byte[HEADER_SIZE];
            int got = h.readFully(header, 0, HEADER_SIZE, 0);
            if (got < HEADER_SIZE) {
                throw FileFormat.corrupt(file, got, seq, "checkpoint file of " + size + " bytes is shorter than its "
                        + HEADER_SIZE + "-byte header");
            }
            FileFormat.checkMagicAndVersion(file, 0, "checkpoint", seq, FileFormat.getInt(header, 0),
                    FileFormat.CHECKPOINT_MAGIC, FileFormat.getInt(header, 4));
            long storedSeq = FileFormat.getLong(header, 8);
            int length = FileFormat.getInt(header, 16);
            if (storedSeq != seq) {
                throw FileFormat.corrupt(file, 8, seq, "checkpoint file holds seq " + storedSeq);
            }
            // The length is trusted only once it matches the file size: no allocation beyond the file (G11).
            if (length < 0 || length != size - HEADER_SIZE) {
                throw FileFormat.corrupt(file, 16, seq, "checkpoint length " + length + " does not match the file size "
                        + size + " (header " + HEADER_SIZE + " bytes)");
            }
            byte[] state = new byte[length];
            if (h.readFully(state, 0, length, HEADER_SIZE) < length) {
                throw FileFormat.corrupt(file, HEADER_SIZE, seq, "checkpoint cut off: the file shrank while being read");
            }
            int stored = FileFormat.getInt(header, CHECKED);
            int computed = crc(header, state);
            if (stored != computed) {
                throw FileFormat.corrupt(file, 0, seq, "checkpoint CRC32C mismatch (stored " + FileFormat.hex(stored)
                        + ", computed " + FileFormat.hex(computed) + ")");
            }
            return Optional.of(state);
        }
    }

    long[] seqs() {
        return seqs.stream().mapToLong(Long::longValue).toArray();
    }

    void delete(long seq) throws IOException {
        seqs.remove(seq);
        AtomicFile.delete(io, dir, path(seq));
    }

    private static int crc(byte[] header, byte[] state) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, CHECKED);
        crc.update(state, 0, state.length);
        return (int) crc.getValue();
    }
}

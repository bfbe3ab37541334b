package io.atlas.log.core;

import io.atlas.log.CorruptLogException;
import io.atlas.log.IncompatibleLogException;
import io.atlas.log.PersistentLogConfig;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;

/**
 * The manifest {@code atlas-log.manifest} (guarantee G10): which backend wrote the directory and the
 * format version of core's records. Java properties in UTF-8, written once when the log is created,
 * atomically (temporary file, fsync, rename, fsync of the directory).
 *
 * @param backend the provider name
 * @param format  core's format version
 * @param created when the log was created (ISO-8601), informational
 */
record Manifest(String backend, int format, String created) {

    static final String FILE_NAME = "atlas-log.manifest";
    static final String TEMP_NAME = FILE_NAME + ".tmp";
    /** The record and manifest format this code writes and reads. */
    static final int FORMAT = 1;
    /** A manifest is a few dozen bytes; anything much larger is not one. */
    private static final int MAX_SIZE = 64 << 10;

    /**
     * Reads the manifest of {@code dir}, if there is one.
     *
     * @throws CorruptLogException if the file exists but is not a valid manifest
     */
    static Optional<Manifest> read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        byte[] bytes;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > MAX_SIZE) {
                throw new CorruptLogException("manifest " + file + " is " + size + " bytes, expected at most "
                        + MAX_SIZE + "; it is not an atlas-log manifest");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read until full or end of file
            }
            bytes = java.util.Arrays.copyOf(buf.array(), buf.position());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.of(parse(file, bytes));
    }

    static Manifest parse(Path file, byte[] bytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CorruptLogException("manifest " + file + " is not UTF-8 text; expected backend=, format= and created= lines", e);
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw new CorruptLogException("manifest " + file + " is not a properties file: " + e.getMessage(), e);
        }
        String backend = p.getProperty("backend");
        String format = p.getProperty("format");
        if (backend == null || format == null) {
            throw new CorruptLogException("manifest " + file + " lacks " + (backend == null ? "backend" : "format")
                    + "=; expected backend=<name>, format=<int> and created=<time> (" + bytes.length + " bytes read)");
        }
        backend = backend.trim();
        if (!PersistentLogConfig.BACKEND_NAME.matcher(backend).matches()) {
            throw new CorruptLogException("manifest " + file + " names backend '" + backend
                    + "'; expected 1-32 characters of [a-z0-9-]");
        }
        int version;
        try {
            version = Integer.parseInt(format.trim());
        } catch (NumberFormatException e) {
            throw new CorruptLogException("manifest " + file + " has format '" + format + "'; expected a whole number", e);
        }
        if (version < 1) {
            throw new CorruptLogException("manifest " + file + " has format " + version + "; expected 1 or more");
        }
        return new Manifest(backend, version, p.getProperty("created", "").trim());
    }

    /**
     * Refuses a log written by another backend or a newer format.
     *
     * @throws IncompatibleLogException naming both backends or both versions
     */
    void checkCompatible(Path dir, String openingBackend) {
        Path file = dir.resolve(FILE_NAME);
        if (format > FORMAT) {
            throw new IncompatibleLogException("log at " + dir + " has format version " + format + " (" + file
                    + "), but this atlas-log-core reads format version " + FORMAT + "; open it with a newer atlas-log-core");
        }
        if (!backend.equals(openingBackend)) {
            throw new IncompatibleLogException("log at " + dir + " was written by backend '" + backend + "' (" + file
                    + "), but it is being opened with backend '" + openingBackend + "'; open it with backend '"
                    + backend + "' (or migrate it)");
        }
    }

    /** Writes a new manifest for {@code backend} atomically and durably. */
    static Manifest create(Path dir, String backend) throws IOException {
        Manifest m = new Manifest(backend, FORMAT, Instant.now().toString());
        String text = "# atlas-log manifest: which backend wrote this directory, and the format version. Do not edit.\n"
                + "backend=" + m.backend + "\nformat=" + m.format + "\ncreated=" + m.created + "\n";
        Path tmp = dir.resolve(TEMP_NAME);
        try (FileChannel ch = LogFiles.openOwnerOnly(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        LogFiles.fsyncDirectory(dir);
        return m;
    }

    /** Removes a temporary file left by a crash while the manifest was being created. */
    static void deleteLeftoverTemp(Path dir) throws IOException {
        if (Files.deleteIfExists(dir.resolve(TEMP_NAME))) {
            LogFiles.fsyncDirectory(dir);
        }
    }
}

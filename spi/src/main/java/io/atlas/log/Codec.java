package io.atlas.log;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Turns values into bytes and back. The log never uses Java serialization: the application
 * supplies a codec for its payload, state and configuration types.
 *
 * <p>Implementations must be thread-safe and deterministic: {@code decode(encode(v))} equals
 * {@code v}. {@code decode} receives exactly the bytes {@code encode} produced (the engine checks
 * them with a CRC32C first) and should throw {@link IllegalArgumentException} for bytes it cannot
 * decode; the engine reports that as a {@link CorruptLogException}.
 *
 * @param <T> the value type
 */
public interface Codec<T> {

    /** Encodes a non-null value; never returns null. */
    byte[] encode(T value);

    /** Decodes bytes produced by {@link #encode}; never returns null. */
    T decode(byte[] bytes);

    /** The identity codec: the log stores the array as is (it does not copy it). */
    static Codec<byte[]> bytes() {
        return BytesCodec.INSTANCE;
    }

    /** UTF-8 strings; decoding refuses malformed input. */
    static Codec<String> utf8() {
        return Utf8Codec.INSTANCE;
    }
}

enum BytesCodec implements Codec<byte[]> {
    INSTANCE;

    @Override
    public byte[] encode(byte[] value) {
        return value;
    }

    @Override
    public byte[] decode(byte[] bytes) {
        return bytes;
    }
}

enum Utf8Codec implements Codec<String> {
    INSTANCE;

    @Override
    public byte[] encode(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("bytes are not valid UTF-8: " + e.getMessage(), e);
        }
    }
}

package io.atlas.log.tck.external;

import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.LogStorageTck;
import io.atlas.log.tck.PersistentLogTck;
import org.junit.jupiter.api.Nested;

/**
 * Both kits from another package against a provider that only this test class path holds, as an
 * implementor runs them: the kits' lifecycle methods must run for a subclass outside
 * {@code io.atlas.log.tck}, and the cross-process lock test must create the provider in a child JVM
 * from its class name.
 */
class TestOnlyProviderTckTest {

    @Nested
    class Storage extends LogStorageTck {
        @Override
        protected StorageProvider provider() {
            return new TestOnlyProvider();
        }
    }

    @Nested
    class EndToEnd extends PersistentLogTck {
        @Override
        protected StorageProvider provider() {
            return new TestOnlyProvider();
        }
    }
}

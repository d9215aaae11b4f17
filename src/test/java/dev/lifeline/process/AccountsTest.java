package dev.lifeline.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccountsTest {
    @TempDir
    Path tmp;

    @Test
    void thePrimaryGroupIsThePasswdEntrysGidNotAGroupNamedLikeTheUser() throws Exception {
        Path passwd = tmp.resolve("passwd");
        Files.writeString(
                passwd,
                "root:x:0:0:root:/root:/bin/bash\n# a comment\nbroken line\n"
                        + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
                        + "ml:x:1001:2000:ML user:/data/ml:/bin/bash\n");
        assertThat(Accounts.lookup(passwd, "nobody")).contains(new Accounts.Account("nobody", 65534, 65534));
        assertThat(Accounts.lookup(passwd, "ml")).contains(new Accounts.Account("ml", 1001, 2000));
        assertThat(Accounts.lookup(passwd, "1001")).as("by uid").contains(new Accounts.Account("ml", 1001, 2000));
        assertThat(Accounts.lookup(passwd, "mll")).isEmpty();
        assertThat(Accounts.lookup(tmp.resolve("none"), "ml")).isEmpty();
    }

    @Test
    void setprivGetsTheNumericGroupOfTheAccount() {
        long gid = Accounts.lookup("root").orElseThrow().gid();
        assertThat(Accounts.primaryGroup("root")).contains(Long.toString(gid));
        assertThat(Accounts.primaryGroup("no-such-user-here")).isEmpty();
        assertThat(Accounts.exists("no-such-user-here")).isFalse();
        assertThat(Accounts.exists("root")).isTrue();
    }
}

// scripts/stress.sh in the suite: a short run (seconds) of random sessions
// passes every check, and the script does fail when a check fails (a
// stand-in binary whose replay always differs).
#include <sys/stat.h>

#include "tests/e2e/e2e_support.h"

namespace sf::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kScript = std::string(STEMFORGE_SOURCE_DIR) + "/scripts/stress.sh";

// At most `iterations` sessions (and at most 10 minutes, never reached).
CommandResult stress(const fs::path& dir, const std::string& binary, const std::string& iterations, const std::string& seed) {
    return run_command({"env", "STEMFORGE=" + binary, kScript, "--seconds", "600", "--iterations", iterations, "--seed", seed, "--dir",
                        dir.string(), "--max-stem-s", "1", "--json"});
}

TEST(StressE2E, AShortStressRunPassesEveryCheck) {
    TempDir dir;
    const auto r = stress(dir / "run", STEMFORGE_BIN, "2", "17");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["failures"], 0) << j.dump(2);
    EXPECT_EQ(j["iterations"], 2) << j.dump(2);
    EXPECT_EQ(j["rendered"], j["iterations"]);
    EXPECT_EQ(j["replayed_identical"], j["rendered"]);
    EXPECT_EQ(j["verified"], j["rendered"]);
    EXPECT_GE(j["outputs_read_back"].get<int>(), j["rendered"].get<int>());
}

TEST(StressE2E, AFailedCheckFailsTheRunAndKeepsTheSession) {
    TempDir dir;
    // The real binary, except that every replay reports a difference.
    const fs::path fake = dir / "stemforge";
    write_text(fake, "#!/bin/sh\nif [ \"$1\" = replay ]; then echo 'stemforge: error: replay: differs: x' >&2; exit 1; fi\nexec '" +
                         std::string(STEMFORGE_BIN) + "' \"$@\"\n");
    ::chmod(fake.c_str(), 0755);
    const auto r = stress(dir / "run", fake.string(), "1", "5");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const json j = json::parse(r.out);
    EXPECT_GE(j["failures"].get<int>(), 1);
    ASSERT_FALSE(j["failed"].empty());
    EXPECT_NE(j["failed"][0].get<std::string>().find("replay is not bit-identical"), std::string::npos) << j.dump(2);
    EXPECT_TRUE(fs::exists(dir / "run/failed/5/session.json"));
}

}  // namespace
}  // namespace sf::test

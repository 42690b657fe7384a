#pragma once
// Running the `lamina` command from a test as a user runs it (a shell, stdout and stderr to
// files, the exit status), with a scratch directory per test process for model files, word lists
// and result files, and the small JSON probe the CLI tests need. LAMINA_BINARY (and, for
// repository(), LAMINA_SOURCE_DIR) come from tests/CMakeLists.txt.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace lamina::test {

namespace fs = std::filesystem;

struct cli_result {
    int status;  // exit status, -1 when the command did not exit normally
    std::string out, err;
};

// One directory per test process (ctest runs each test case in its own process), removed when
// the process exits normally (a failed REQUIRE included) so the tests leave nothing behind.
struct scratch_directory {
    fs::path path;
    scratch_directory() : path(fs::temp_directory_path() / ("lamina_test_" + std::to_string(getpid()))) {
        fs::create_directories(path);
    }
    ~scratch_directory() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    scratch_directory(const scratch_directory&) = delete;
    scratch_directory& operator=(const scratch_directory&) = delete;
};

inline const fs::path& scratch() {
    static const scratch_directory dir;
    return dir.path;
}

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Writes `text` to scratch()/name and returns the path.
inline fs::path write_text(const std::string& name, const std::string& text) {
    const auto p = scratch() / name;
    std::ofstream(p) << text;
    return p;
}

// `lamina ARGS` through the shell; `env` (e.g. "PATH=/nowhere") is put in front of the command.
inline cli_result run_lamina(const std::string& args, const std::string& env = "") {
    const auto out = scratch() / "stdout.txt", err = scratch() / "stderr.txt";
    const std::string cmd =
        env + " " + std::string(LAMINA_BINARY) + " " + args + " >" + out.string() + " 2>" + err.string();
    const int rc = std::system(cmd.c_str());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, slurp(out), slurp(err)};
}

#ifdef LAMINA_SOURCE_DIR
inline fs::path repository() { return LAMINA_SOURCE_DIR; }
#endif

// The number after the first "key": in `json` (NaN when the key is absent or its value is not a
// number, e.g. null).
inline double json_value(const std::string& json, const std::string& key) {
    const std::string needle = "\"" + key + "\":";
    const auto at = json.find(needle);
    if (at == std::string::npos) return std::nan("");
    const char* start = json.c_str() + at + needle.size();
    char* end = nullptr;
    const double v = std::strtod(start, &end);
    return end == start ? std::nan("") : v;
}

} // namespace lamina::test

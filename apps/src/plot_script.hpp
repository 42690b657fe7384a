#pragma once
// The matplotlib scripts that `lamina spectrum` and `lamina connectivity` run to draw their PNGs.
#include <string>

namespace lamina::app {

// scripts/<name>: $<env_var> if set, else beside an installed lamina (<prefix>/share/lamina, also
// after the install tree was moved), else where CMake installs it, else the source tree this
// lamina was configured from (a build directory anywhere). Empty if none exists.
std::string find_plot_script(const std::string& name, const char* env_var = "LAMINA_PLOT_SCRIPT");

// Runs `python script data png` ($LAMINA_PYTHON, else /usr/bin/python3, else python3) with the
// script's output on stderr; "" on success, else why not (exit status 3: no matplotlib).
std::string run_plot_script(const std::string& script, const std::string& data, const std::string& png);

// Writes `data` to a temporary file and runs the script on it; "" on success, else why not.
std::string plot_with(const std::string& script_name, const char* env_var, const std::string& data,
                      const std::string& png);

} // namespace lamina::app

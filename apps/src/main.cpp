#include "lamina/app/cli.hpp"

int main(int argc, char** argv) { return lamina::app::run_cli(argc, argv); }

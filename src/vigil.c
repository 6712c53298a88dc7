/* vigil.c -- the vigil command: parses the command name and dispatches. */
#include <stdio.h>
#include <string.h>
#include "tool.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vigil <command> [options] PATH...\n"
            "\n"
            "commands:\n"
            "  stats     read logs (Zeek TSV/JSON, Suricata EVE, pcap; .gz too) and\n"
            "            report records, time span, addresses and skipped records\n"
            "  hunt      find remote-controlled hosts: beacons, long connections,\n"
            "            exfiltration, rare destinations, DNS tunnels; ranked, with\n"
            "            the reasons (vigil hunt --help)\n"
            "  dest      everything known about one destination (address or name):\n"
            "            country, ASN, names, who talked to it, when, how much\n"
            "            (vigil dest --help)\n"
            "  simulate  generate a simulated enterprise's Zeek logs with a hidden\n"
            "            intrusion and its ground truth (vigil simulate --help)\n"
            "\n"
            "  vigil <command> --help   options of a command\n"
            "  vigil --version          version\n"
            "\n"
            "exit status: 0 clean, 3 some records skipped, 1 a path unreadable,\n"
            "             2 usage error\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("vigil %s\n", VIGIL_VERSION);
        return TOOL_EXIT_OK;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return TOOL_EXIT_OK;
    }
    if (strcmp(cmd, "stats") == 0) return tool_stats(argc - 1, argv + 1);
    if (strcmp(cmd, "hunt") == 0) return tool_hunt(argc - 1, argv + 1);
    if (strcmp(cmd, "simulate") == 0) return tool_simulate(argc - 1, argv + 1);
    if (strcmp(cmd, "dest") == 0) return tool_dest(argc - 1, argv + 1);
    fprintf(stderr, "vigil: unknown command '%s'\n", cmd);
    usage(stderr);
    return TOOL_EXIT_USAGE;
}

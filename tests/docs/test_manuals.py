"""The generated manual pages and shell completions (cd_gendoc, from the
option table): every page renders with groff -ww and man --warnings without
a warning; every option `conndoctor CMD --help` prints appears in that
command's page; the bash script completes commands, options, choices and
finding codes; the zsh script loads under compinit and completes through a
pseudo-terminal; the fish script passes `fish -n` and completes. The oracle
for options and codes is the binary itself (--help, `explain`), not the
generator."""
import os
import re
import shutil
import subprocess
import unittest

import harness
from harness import run_conndoctor

DOC = os.environ.get("CD_DOC_DIR", "")
MAN = os.path.join(DOC, "man")
BASH = os.path.join(DOC, "conndoctor.bash")
ZSH = os.path.join(DOC, "_conndoctor")
FISH = os.path.join(DOC, "conndoctor.fish")
# The commands of the option table: each has its page (a command joining the
# table adds its own page, checked by test_every_command_page_has_its_options).
TABLE_COMMANDS = ["probe", "diagnose", "check", "pcap", "trace", "watch"]


def pages():
    out = []
    for sec in sorted(os.listdir(MAN)):
        for name in sorted(os.listdir(os.path.join(MAN, sec))):
            out.append(os.path.join(MAN, sec, name))
    return out


def help_options(cmd):
    """The long and short options `conndoctor CMD --help` lists."""
    rc, out, err = run_conndoctor([cmd, "--help"])
    assert rc == 0, (cmd, rc, err)
    opts = set()
    for line in out.splitlines():
        m = re.match(r"^  (?:-(\S)(?:, |\s|$))?\s*(?:--([a-z][a-z0-9-]*))?", line)
        if not m or not (m.group(1) or m.group(2)):
            continue
        if m.group(1):
            opts.add("-" + m.group(1))
        if m.group(2):
            opts.add("--" + m.group(2))
    return opts


def render(page, width="80"):
    env = dict(os.environ, MANWIDTH=width, MAN_KEEP_FORMATTING="", LC_ALL="C.UTF-8")
    p = subprocess.run(["man", "--warnings", "-l", page], capture_output=True,
                       text=True, env=env, timeout=60)
    return p.returncode, p.stdout, p.stderr


def binary_commands():
    """The commands `conndoctor help` lists, in its order."""
    rc, out, _ = run_conndoctor(["help"])
    assert rc == 0
    body = out.split("commands:\n")[1].split("\n\n")[0]
    return re.findall(r"(?m)^  ([a-z]+)\b", body)


def exit_table():
    """Codes of docs/exit-status.md's first table, and of the --nagios one."""
    with open(os.path.join(harness.REPO_ROOT, "docs", "exit-status.md"), encoding="utf-8") as f:
        text = f.read()
    ours, nagios = text.split("## With `--nagios`")
    row = r"(?m)^\| (\d+)[^|]*\|"
    return re.findall(row, ours), re.findall(row, nagios)


def finding_codes():
    rc, out, _ = run_conndoctor(["explain"])
    assert rc == 0
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def bash_complete(*words, cwd=None):
    """COMPREPLY of _conndoctor for words (the last one is being typed)."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              '_conndoctor; printf "%s\\n" "${COMPREPLY[@]}"')
    p = subprocess.run(["bash", "-c", script, "bash", BASH, "conndoctor", *words],
                       capture_output=True, text=True, timeout=30, cwd=cwd)
    assert p.returncode == 0 and not p.stderr, (words, p.returncode, p.stderr)
    return [w for w in p.stdout.splitlines() if w]


class ManPages(unittest.TestCase):
    def test_the_pages_are_there(self):
        names = {os.path.basename(p) for p in pages()}
        want = {"conndoctor.1", "conndoctor-explain.1", "conndoctor.conf.5"}
        want |= {f"conndoctor-{c}.1" for c in TABLE_COMMANDS}
        self.assertEqual(sorted(want - names), [])
        # No page for a command the binary does not know.
        rc, out, _ = run_conndoctor(["help"])
        for n in names:
            m = re.fullmatch(r"conndoctor-(\w+)\.1", n)
            if m:
                self.assertRegex(out, rf"(?m)^  {m.group(1)}\b", n)

    def test_groff_ww_prints_no_warning(self):
        if not shutil.which("groff"):
            self.skipTest("groff not installed")
        for page in pages():
            p = subprocess.run(["groff", "-ww", "-man", "-Tutf8", "-z", page],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual((p.returncode, p.stderr), (0, ""), page)

    def test_man_warnings_prints_nothing(self):
        if not shutil.which("man"):
            self.skipTest("man not installed")
        for page in pages():
            rc, out, err = render(page)
            self.assertEqual((rc, err), (0, ""), page)
            self.assertIn("NAME", out, page)
            self.assertIn("SEE ALSO", out, page)

    def test_every_command_page_has_its_options(self):
        if not shutil.which("man"):
            self.skipTest("man not installed")
        checked = 0
        for page in pages():
            m = re.fullmatch(r"conndoctor-(\w+)\.1", os.path.basename(page))
            if not m or m.group(1) == "explain":
                continue
            opts = help_options(m.group(1))
            self.assertGreater(len(opts), 10, m.group(1))
            _, text, _ = render(page, width="250")
            text = text.replace("\u2010", "-").replace("\u2212", "-")
            labels = set(re.findall(r"(?m)^\s+(-[^\s=\[,]+)", text))
            labels |= set(re.findall(r"(?m)^\s+-\S, (--[^\s=\[,]+)", text))
            missing = sorted(o for o in opts if o not in labels)
            self.assertEqual(missing, [], m.group(1))
            checked += 1
        self.assertGreaterEqual(checked, len(TABLE_COMMANDS))

    def test_main_page_has_exit_status_and_commands(self):
        if not shutil.which("man"):
            self.skipTest("man not installed")
        _, text, _ = render(os.path.join(MAN, "man1", "conndoctor.1"), width="250")
        exit_part = text.split("EXIT STATUS")[1].split("ENVIRONMENT")[0]
        ours, nagios = exit_table()
        self.assertEqual(ours, ["0", "1", "2", "64", "69"])
        plain, with_nagios = exit_part.split("With --nagios")
        self.assertEqual(re.findall(r"(?m)^\s+(\d+)\s", plain), ours)
        self.assertEqual(re.findall(r"(?m)^\s+(\d+)\b.*: exits \d", with_nagios), nagios)
        self.assertIn("69 (target unavailable): exits 2", with_nagios)
        self.assertIn("64 (usage error): exits 3", with_nagios)
        commands = text.split("COMMANDS")[1].split("EXIT STATUS")[0]
        self.assertEqual(sorted(re.findall(r"(?m)^ {7}([a-z]+)\b", commands)), sorted(binary_commands()))
        self.assertIn("MYSQL_PWD", text)

    def test_explain_page_lists_every_code(self):
        if not shutil.which("man"):
            self.skipTest("man not installed")
        _, text, _ = render(os.path.join(MAN, "man1", "conndoctor-explain.1"))
        self.assertEqual(re.findall(r"(?m)^\s+(CD\d{4})\b", text), finding_codes())

    def test_conf_page_keeps_file_selection_out(self):
        if not shutil.which("man"):
            self.skipTest("man not installed")
        _, text, _ = render(os.path.join(MAN, "man5", "conndoctor.conf.5"), width="250")
        opts = text.split("\nOPTIONS")[1].split("\nEXAMPLE")[0]
        names = re.findall(r"(?m)^ {7}([a-z][a-z0-9-]*)", opts)
        self.assertIn("host", names)
        self.assertIn("connect-timeout", names)
        self.assertIn("only", names)  # check's
        for cmdline in ("defaults-file", "defaults-extra-file", "no-defaults", "help"):
            self.assertNotIn(cmdline, names)
        self.assertIn("!includedir", text)
        self.assertIn("[conndoctor]", text)
        # pcap, trace and watch read no option file.
        for cmd_only in ("config", "listen", "password-file", "pid", "live", "max-flows"):
            self.assertNotIn(cmd_only, names)

    def test_conf_page_documents_the_watch_config(self):
        """Every key the watch config reader knows (src/watch/config.c's
        key_names) has an entry in conndoctor.conf(5), with [watch] and
        [target NAME]."""
        if not shutil.which("man"):
            self.skipTest("man not installed")
        with open(os.path.join(harness.REPO_ROOT, "src", "watch", "config.c"),
                  encoding="utf-8") as f:
            src = f.read()
        table = re.search(r"key_names\[K__COUNT\] = \{(.*?)\};", src, re.S).group(1)
        keys = re.findall(r'"([a-z-]+)"', table)
        self.assertIn("password-file", keys)
        _, text, _ = render(os.path.join(MAN, "man5", "conndoctor.conf.5"), width="250")
        section = text.split("\nWATCH CONFIGURATION")[1].split("\nENVIRONMENT")[0]
        entries = re.findall(r"(?m)^ {7}([a-z][a-z.A-Z-]*)", section)
        for key in keys + ["listen", "label.KEY"]:
            self.assertIn(key, entries)
        self.assertIn("[target NAME]", section)
        self.assertIn("[watch]", section)


class Bash(unittest.TestCase):
    def test_loads_without_error(self):
        p = subprocess.run(["bash", "-c", 'source "$1" && complete -p conndoctor', "bash", BASH],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertIn("-F _conndoctor", p.stdout)

    def test_commands(self):
        self.assertEqual(bash_complete("pr"), ["probe"])
        self.assertEqual(bash_complete("d"), ["diagnose"])
        self.assertEqual(sorted(bash_complete("")), sorted(binary_commands()))

    def test_options_long_and_short(self):
        self.assertEqual(bash_complete("probe", "--conn"), ["--connect-timeout"])
        for cmd in TABLE_COMMANDS:
            offered = set(bash_complete(cmd, "-"))
            self.assertEqual(sorted(help_options(cmd) - offered), [], cmd)
            self.assertEqual(sorted(offered - help_options(cmd)), [], cmd)

    def test_candidates_are_not_globbed(self):
        # -? is a candidate; a file named -x in the current folder must not
        # replace it.
        d = os.path.join(DOC, "glob-test")
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "-x"), "w").close()
        offered = bash_complete("probe", "-", cwd=d)
        self.assertIn("-?", offered)
        self.assertNotIn("-x", offered)

    def test_choices_after_the_option(self):
        self.assertEqual(bash_complete("probe", "--ssl-mode", "VERIFY"),
                         ["VERIFY_CA", "VERIFY_IDENTITY"])
        # --name=VALUE: bash splits the word at '='.
        self.assertEqual(bash_complete("probe", "--ssl-mode", "=", "DIS"), ["DISABLED"])
        self.assertEqual(sorted(bash_complete("probe", "--protocol", "=")), ["socket", "tcp"])
        self.assertEqual(bash_complete("diagnose", "--stop-after", "g"), ["greeting"])
        # --color takes an optional WHEN: its choices after '=' only.
        self.assertEqual(bash_complete("probe", "--color", "=", "a"), ["auto", "always"])
        self.assertEqual(bash_complete("check", "--col"), ["--color"])
        # A value that is not a choice offers nothing, not the option list.
        self.assertEqual(bash_complete("probe", "-n", ""), [])

    def test_file_options_complete_files(self):
        d = os.path.join(DOC, "cnf-test")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "my-test.cnf"), "w") as f:
            f.write("[client]\n")
        self.assertEqual(bash_complete("probe", "--defaults-file", d + "/my-t"),
                         [d + "/my-test.cnf"])
        self.assertEqual(bash_complete("check", "--ssl-ca", d + "/my-t"), [d + "/my-test.cnf"])
        # pcap's operands are capture files; its options still complete.
        self.assertEqual(bash_complete("pcap", d + "/my-t"), [d + "/my-test.cnf"])
        self.assertEqual(bash_complete("pcap", "--max-f"), ["--max-flows"])
        self.assertEqual(bash_complete("watch", "--config", d + "/my-t"), [d + "/my-test.cnf"])

    def test_explain_codes(self):
        codes = finding_codes()
        self.assertEqual(bash_complete("explain", ""), codes)
        self.assertEqual(bash_complete("explain", codes[0]), [codes[0]])


class Zsh(unittest.TestCase):
    def setUp(self):
        if not shutil.which("zsh"):
            self.skipTest("zsh not installed (scripts/install-deps.sh installs it)")

    def test_loads_under_compinit(self):
        p = subprocess.run(["zsh", "-c", 'autoload -U compinit; compinit -u; source "$1"; '
                            'print -r -- ${_comps[conndoctor]}', "zsh", ZSH],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertEqual(p.stdout.strip(), "_conndoctor")

    def complete(self, line):
        """What zsh shows after TAB TAB on line, through a pseudo-terminal."""
        script = r'''
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1="> "; autoload -U compinit; compinit -u; source '"$1"
zpty -w z "conndoctor $2"$'\t\t'
zpty -w z $'\C-u echo EN""D\n'
out=""
zpty -r z out '*END'
print -r -- "$out"
zpty -d z
'''
        p = subprocess.run(["zsh", "-c", script, "zsh", ZSH, line],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", p.stdout)

    def test_completes_through_a_terminal(self):
        self.assertIn("conndoctor probe", self.complete("pr"))
        self.assertIn("--connect-timeout", self.complete("probe --conn"))
        self.assertIn("VERIFY_IDENTITY", self.complete("probe --ssl-mode=VERIFY_"))
        self.assertIn("always", self.complete("diagnose --color=al"))


class Fish(unittest.TestCase):
    def setUp(self):
        if not shutil.which("fish"):
            self.skipTest("fish not installed (scripts/install-deps.sh installs it)")

    def fish(self, script):
        p = subprocess.run(["fish", "-c", script, FISH], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        return p.stdout

    def test_syntax(self):
        p = subprocess.run(["fish", "-n", FISH], capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stderr), (0, ""))

    def test_completes(self):
        def first_words(out):
            return [line.split("\t")[0] for line in out.splitlines()]
        out = self.fish('source $argv[1]; complete -C "conndoctor pr"')
        self.assertEqual(first_words(out), ["probe"])
        out = self.fish('source $argv[1]; complete -C "conndoctor probe --conn"')
        self.assertEqual(first_words(out), ["--connect-timeout"])
        out = self.fish('source $argv[1]; complete -C "conndoctor probe --ssl-mode=VERIFY_"')
        self.assertEqual(first_words(out),
                         ["--ssl-mode=VERIFY_CA", "--ssl-mode=VERIFY_IDENTITY"])
        out = self.fish('source $argv[1]; complete -C "conndoctor explain CD"')
        self.assertEqual(first_words(out), finding_codes())


if __name__ == "__main__":
    if not os.path.isdir(MAN):
        harness.skip("CD_DOC_DIR does not name the generated folder (build the cd_docs target)")
    harness.need_conndoctor()
    harness.run_tests(globals())

//! ELF objects for every target, read back with goblin and binutils, and linked by each
//! target's usual linker (gcc for x86-64, arm-none-eabi-gcc for Cortex-M); images read
//! back into the modules they were made from.

use std::path::{Path, PathBuf};
use std::process::Command;

use goblin::elf::{header, section_header, sym, Elf};
use upyc_freeze::{inspect, object, Format, FreezeOptions, Image, Module, Target};

/// Modules from the runtime fixtures' `modules/` area (a package, support modules, tests).
fn fixture_modules() -> Vec<Module> {
    let dir = upyc_testkit::fixtures().join("run/modules");
    upyc_freeze::input::collect_dir(&dir, &FreezeOptions::default()).expect("fixtures compile")
}

fn image() -> Vec<u8> {
    Image::from_modules(&fixture_modules()).expect("image")
}

/// Run a tool; a missing tool fails the test with what to install.
fn tool(cmd: &mut Command, install: &str) -> std::process::Output {
    match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!(
            "{:?} could not run ({e}): install {install} (see .ci/run)",
            cmd.get_program()
        ),
    }
}

fn write_tmp(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).expect("write");
    p
}

#[test]
fn every_target_reads_back_with_goblin() {
    let img = image();
    for triple in Target::triples() {
        let t = Target::from_triple(triple).unwrap();
        let obj = object::write(&img, t, "upyc_frozen", Format::Object).unwrap();
        let elf = Elf::parse(&obj).unwrap();
        assert_eq!(elf.header.e_type, header::ET_REL, "{triple}");
        assert_eq!(elf.header.e_machine, t.elf_machine(), "{triple}");
        assert_eq!(elf.header.e_flags, t.elf_flags(), "{triple}");
        assert_eq!(elf.is_64, t.is_64(), "{triple}");
        assert!(elf.little_endian, "{triple}");
        // No relocations at all.
        assert!(
            elf.section_headers
                .iter()
                .all(|s| s.sh_type != section_header::SHT_REL
                    && s.sh_type != section_header::SHT_RELA),
            "{triple}: relocation section"
        );
        let find = |name: &str| {
            elf.syms
                .iter()
                .find(|s| elf.strtab.get_at(s.st_name) == Some(name))
                .unwrap_or_else(|| panic!("{triple}: no symbol {name}"))
        };
        let s = find("upyc_frozen");
        assert_eq!(s.st_bind(), sym::STB_GLOBAL, "{triple}");
        assert_eq!(s.st_type(), sym::STT_OBJECT, "{triple}");
        assert_eq!(s.st_size as usize, img.len(), "{triple}");
        let sec = &elf.section_headers[s.st_shndx];
        assert_eq!(
            sec.sh_flags,
            u64::from(section_header::SHF_ALLOC),
            "{triple}: read-only, not executable"
        );
        assert_eq!(sec.sh_type, section_header::SHT_PROGBITS);
        assert!(sec.sh_addralign >= 4, "{triple}: aligned");
        let at = (sec.sh_offset + s.st_value) as usize;
        assert_eq!(&obj[at..at + img.len()], &img[..], "{triple}");
        let v = find("upyc_frozen_version");
        assert_eq!(v.st_bind(), sym::STB_GLOBAL);
        let vs = &elf.section_headers[v.st_shndx];
        let vat = (vs.sh_offset + v.st_value) as usize;
        assert_eq!(
            u32::from_le_bytes(obj[vat..vat + 4].try_into().unwrap()),
            u32::from(upyc_runtime::frozen::VERSION)
        );
        // inspect finds it by symbol.
        let found = inspect::locate(&obj, "upyc_frozen").unwrap();
        assert_eq!(inspect::image_in(&obj, &found), &img[..]);
        // A custom symbol name.
        let obj2 = object::write(&img, t, "fw_python", Format::Object).unwrap();
        let found = inspect::locate(&obj2, "fw_python").unwrap();
        assert_eq!(found.symbol.as_deref(), Some("fw_python"));
        assert_eq!(inspect::image_in(&obj2, &found), &img[..]);
    }
}

#[test]
fn every_target_reads_back_with_readelf() {
    let img = image();
    let dir = tempfile::tempdir().unwrap();
    let machines = [
        ("thumbv6m-none-eabi", "ARM", "Version5 EABI, soft-float ABI"),
        ("thumbv7m-none-eabi", "ARM", "Version5 EABI, soft-float ABI"),
        (
            "thumbv7em-none-eabi",
            "ARM",
            "Version5 EABI, soft-float ABI",
        ),
        (
            "thumbv7em-none-eabihf",
            "ARM",
            "Version5 EABI, hard-float ABI",
        ),
        (
            "riscv32imc-unknown-none-elf",
            "RISC-V",
            "RVC, soft-float ABI",
        ),
        ("xtensa-esp32-none-elf", "Tensilica Xtensa Processor", ""),
        (
            "x86_64-unknown-linux-gnu",
            "Advanced Micro Devices X86-64",
            "",
        ),
        ("aarch64-unknown-linux-gnu", "AArch64", ""),
        ("aarch64-unknown-none", "AArch64", ""),
    ];
    assert_eq!(machines.len(), Target::triples().count());
    for (triple, machine, flags) in machines {
        let t = Target::from_triple(triple).unwrap();
        let obj = object::write(&img, t, "upyc_frozen", Format::Object).unwrap();
        let p = write_tmp(dir.path(), &format!("{triple}.o"), &obj);
        let out = tool(
            Command::new("readelf")
                .args(["-W", "-h", "-S", "-s", "-r"])
                .arg(&p),
            "binutils (readelf)",
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{triple}: {text}");
        assert!(
            out.stderr.is_empty(),
            "{triple}: readelf warns: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("REL (Relocatable file)"), "{triple}: {text}");
        assert!(
            text.lines()
                .any(|l| l.contains("Machine:") && l.trim_end().ends_with(machine)),
            "{triple}: machine {machine}: {text}"
        );
        if !flags.is_empty() {
            assert!(
                text.lines()
                    .any(|l| l.contains("Flags:") && l.contains(flags)),
                "{triple}: flags {flags}: {text}"
            );
        }
        assert!(
            text.contains("There are no relocations in this file."),
            "{triple}: {text}"
        );
        // The image section: PROGBITS, flags exactly "A".
        let sec = text
            .lines()
            .find(|l| l.contains(" .rodata.upyc_frozen ") || l.ends_with(".rodata.upyc_frozen"))
            .unwrap_or_else(|| panic!("{triple}: no image section: {text}"));
        let fields: Vec<&str> = sec.split_whitespace().collect();
        assert!(fields.contains(&"PROGBITS"), "{triple}: {sec}");
        assert_eq!(fields[fields.len() - 4], "A", "{triple}: flags of {sec}");
        let sym = text
            .lines()
            .find(|l| l.trim_end().ends_with(" upyc_frozen"))
            .unwrap_or_else(|| panic!("{triple}: no symbol: {text}"));
        let f: Vec<&str> = sym.split_whitespace().collect();
        assert_eq!(f[2], img.len().to_string(), "{triple}: size in {sym}");
        assert_eq!((f[3], f[4]), ("OBJECT", "GLOBAL"), "{triple}: {sym}");
        assert!(
            text.lines()
                .any(|l| l.trim_end().ends_with(" upyc_frozen_version") && l.contains("GLOBAL")),
            "{triple}: version symbol: {text}"
        );
    }
    // objdump agrees for the host's architecture.
    let obj = object::write(&img, Target::X86_64, "upyc_frozen", Format::Object).unwrap();
    let p = write_tmp(dir.path(), "host.o", &obj);
    let out = tool(
        Command::new("objdump").arg("-h").arg("-r").arg(&p),
        "binutils (objdump)",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("elf64-x86-64"), "{text}");
    let line = text
        .lines()
        .skip_while(|l| !l.contains(".rodata.upyc_frozen "))
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        line.trim(),
        "CONTENTS, ALLOC, LOAD, READONLY, DATA",
        "{text}"
    );
    assert!(!text.contains("RELOCATION RECORDS"), "{text}");
}

#[test]
fn x86_64_object_links_with_gcc_and_c_reads_the_image() {
    let img = image();
    let dir = tempfile::tempdir().unwrap();
    let obj = object::write(&img, Target::X86_64, "upyc_frozen", Format::Object).unwrap();
    let o = write_tmp(dir.path(), "frozen.o", &obj);
    let c = write_tmp(
        dir.path(),
        "main.c",
        br#"#include <stdio.h>
#include <stdint.h>
extern const unsigned char upyc_frozen[];
extern const uint32_t upyc_frozen_version;
int main(void) {
    uint32_t len = upyc_frozen[8] | upyc_frozen[9] << 8 | upyc_frozen[10] << 16
        | (uint32_t)upyc_frozen[11] << 24;
    fprintf(stderr, "version %u\n", upyc_frozen_version);
    fwrite(upyc_frozen, 1, len, stdout);
    return 0;
}
"#,
    );
    let exe = dir.path().join("main");
    let out = tool(
        Command::new("gcc")
            .args(["-Wall", "-Werror", "-Wl,--fatal-warnings", "-o"])
            .arg(&exe)
            .arg(&c)
            .arg(&o),
        "gcc",
    );
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "gcc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = tool(&mut Command::new(&exe), "the linked program");
    assert!(run.status.success());
    assert_eq!(
        run.stdout, img,
        "the C program reads the image through the symbol"
    );
    assert_eq!(
        String::from_utf8_lossy(&run.stderr).trim(),
        format!("version {}", upyc_runtime::frozen::VERSION)
    );
    // The linked executable: inspect finds the image by symbol.
    let bin = std::fs::read(&exe).unwrap();
    let found = inspect::locate(&bin, "upyc_frozen").unwrap();
    assert!(matches!(found.elf_type, header::ET_DYN | header::ET_EXEC));
    assert_eq!(inspect::image_in(&bin, &found), &img[..]);
}

#[test]
fn arm_objects_link_with_arm_none_eabi_gcc() {
    let img = image();
    let dir = tempfile::tempdir().unwrap();
    let c = write_tmp(
        dir.path(),
        "fw.c",
        br#"extern const unsigned char upyc_frozen[];
extern const unsigned int upyc_frozen_version;
void _start(void) {
    const volatile unsigned char *p = upyc_frozen;
    const volatile unsigned int *v = &upyc_frozen_version;
    (void)p[0];
    (void)*v;
    for (;;) {}
}
"#,
    );
    let cpus: [(&str, &[&str]); 4] = [
        (
            "thumbv6m-none-eabi",
            &["-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft"],
        ),
        (
            "thumbv7m-none-eabi",
            &["-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"],
        ),
        (
            "thumbv7em-none-eabi",
            &["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft"],
        ),
        (
            "thumbv7em-none-eabihf",
            &[
                "-mcpu=cortex-m4",
                "-mthumb",
                "-mfloat-abi=hard",
                "-mfpu=fpv4-sp-d16",
            ],
        ),
    ];
    for (triple, flags) in cpus {
        let t = Target::from_triple(triple).unwrap();
        let obj = object::write(&img, t, "upyc_frozen", Format::Object).unwrap();
        let o = write_tmp(dir.path(), &format!("{triple}.o"), &obj);
        let elf = dir.path().join(format!("{triple}.elf"));
        let out = tool(
            Command::new("arm-none-eabi-gcc")
                .args(flags)
                .args([
                    "-nostdlib",
                    "-Os",
                    "-Wall",
                    "-Werror",
                    "-Wl,--fatal-warnings",
                    "-Wl,-e,_start",
                    "-o",
                ])
                .arg(&elf)
                .arg(&c)
                .arg(&o),
            "gcc-arm-none-eabi and libnewlib-arm-none-eabi",
        );
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{triple}: arm-none-eabi-gcc: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bin = std::fs::read(&elf).unwrap();
        let found = inspect::locate(&bin, "upyc_frozen").unwrap();
        assert_eq!(found.elf_type, header::ET_EXEC);
        assert_eq!(found.machine, header::EM_ARM);
        assert_eq!(inspect::image_in(&bin, &found), &img[..], "{triple}");
        // Stripped firmware: found by the magic.
        let stripped = dir.path().join(format!("{triple}.stripped"));
        let st = tool(
            Command::new("arm-none-eabi-strip")
                .arg("-o")
                .arg(&stripped)
                .arg(&elf),
            "binutils-arm-none-eabi",
        );
        assert!(st.status.success());
        let sbin = std::fs::read(&stripped).unwrap();
        let found = inspect::locate(&sbin, "upyc_frozen").unwrap();
        assert_eq!(found.symbol, None);
        assert_eq!(
            inspect::image_in(&sbin, &found),
            &img[..],
            "{triple} stripped"
        );
    }
}

#[test]
fn image_round_trips_to_the_same_mpy_files() {
    let mods = fixture_modules();
    let img = Image::from_modules(&mods).unwrap();
    assert_eq!(Image::to_modules(&img).unwrap(), mods);
    // Every runtime fixture area as one image each.
    let run = upyc_testkit::fixtures().join("run");
    let mut areas = 0;
    for e in std::fs::read_dir(&run).unwrap() {
        let p = e.unwrap().path();
        if !p.is_dir() {
            continue;
        }
        let mods = upyc_freeze::input::collect_dir(&p, &FreezeOptions::default()).unwrap();
        let img = Image::from_modules(&mods).unwrap();
        assert_eq!(Image::to_modules(&img).unwrap(), mods, "{}", p.display());
        areas += 1;
    }
    assert!(areas >= 5);
}

#[test]
fn mpy_cross_output_round_trips() {
    // .mpy files written by the oracle (not our compiler) freeze and come back unchanged.
    let mpyc = upyc_testkit::mpy_cross();
    let dir = tempfile::tempdir().unwrap();
    let src = upyc_testkit::fixtures().join("run/modules");
    let mut mods = Vec::new();
    for rel in upyc_freeze::input::python_files(&src).unwrap() {
        let (name, is_package) = upyc_freeze::input::module_name(&rel).unwrap();
        let out = dir.path().join(format!("{name}.{is_package}.mpy"));
        let st = Command::new(mpyc)
            .arg("-o")
            .arg(&out)
            .arg(src.join(&rel))
            .status()
            .unwrap();
        assert!(st.success());
        mods.push(Module {
            name,
            is_package,
            mpy: std::fs::read(&out).unwrap(),
        });
    }
    let img = Image::from_modules(&mods).unwrap();
    assert_eq!(Image::to_modules(&img).unwrap(), mods);
}

#[test]
fn rust_and_bin_formats() {
    let img = image();
    assert_eq!(
        object::write(&img, Target::Thumbv7m, "upyc_frozen", Format::Bin).unwrap(),
        img
    );
    let rs = String::from_utf8(
        object::write(&img, Target::Thumbv7m, "upyc_frozen", Format::Rust).unwrap(),
    )
    .unwrap();
    assert!(rs.contains("pub static UPYC_FROZEN: UPYC_FROZENAligned = UPYC_FROZENAligned(["));
    assert!(rs.contains(&format!("[u8; {}]", img.len())));
    // The bytes parse back.
    let body = &rs[rs.find("([").unwrap() + 2..rs.rfind("])").unwrap()];
    let bytes: Vec<u8> = body
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(bytes, img);
    assert!(object::write(&img, Target::Thumbv7m, "bad name", Format::Object).is_err());
}

#[test]
fn build_script_freezes_a_directory_into_out_dir() {
    let src = upyc_testkit::fixtures().join("run/modules");
    let out = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    let p = upyc_freeze::build_script::freeze_dir_to(
        &src,
        out.path(),
        &FreezeOptions::default(),
        &mut lines,
    )
    .unwrap();
    let lines = String::from_utf8(lines).unwrap();
    assert!(lines.starts_with(&format!("cargo:rerun-if-changed={}\n", src.display())));
    for rel in upyc_freeze::input::python_files(&src).unwrap() {
        assert!(lines.contains(&format!(
            "cargo:rerun-if-changed={}",
            src.join(rel).display()
        )));
    }
    assert_eq!(std::fs::read(p).unwrap(), image());
}

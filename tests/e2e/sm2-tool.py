"""sm2-tool.py - XML side of the independent SM2 signature checks in tests/e2e/sign-sm2.sh.

Uses lxml (libxml2's canonicalizer, not cebgate) and the openssl command line; never cebgate.
  unsigned IN OUT          copy without ds:Signature and without a second BaseTransfer
                           (several official 202205 samples carry two)
  split SIGNED PREFIX      PREFIX.si  inclusive C14N 1.0 of SignedInfo in its document context
                           PREFIX.doc inclusive C14N 1.0 of the document without ds:Signature
                                      (the enveloped-signature transform)
                           PREFIX.dv  DigestValue, PREFIX.rs SignatureValue (decoded)
  der SIGNED OUT           the same document with SignatureValue re-encoded as DER
  oldform IN OUT KEY CERT  sign IN as older E-Port smart-card clients do: SignatureMethod
                           http://www.w3.org/2000/09/xmldsig#sm2-sm3, DigestMethod SHA-1,
                           SM2 with SM3 and the default distinguishing identifier, r||s
"""
import base64
import re
import subprocess
import sys

from lxml import etree

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DS = "{" + DS_NS + "}"
SM2_ID = "1234567812345678"


def parse(path):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(path, parser)


def remove_keep_tail(el):
    """Remove el as the enveloped transform does: the text after it stays."""
    parent, prev = el.getparent(), el.getprevious()
    if el.tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def b64(el):
    return base64.b64decode("".join(el.text.split()))


def openssl(*args, data=None):
    return subprocess.run(("openssl",) + args, input=data, check=True,
                          stdout=subprocess.PIPE).stdout


def rs_to_der(rs, work):
    conf = "asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n" % (
        rs[:32].hex(), rs[32:].hex())
    with open(work + ".cnf", "w") as f:
        f.write(conf)
    openssl("asn1parse", "-genconf", work + ".cnf", "-out", work + ".der", "-noout")
    with open(work + ".der", "rb") as f:
        return f.read()


def der_to_rs(der):
    text = openssl("asn1parse", "-inform", "DER", data=der).decode()
    ints = re.findall(r"INTEGER\s*:([0-9A-F]+)", text)
    assert len(ints) == 2, text
    return b"".join(bytes.fromhex(i.rjust(64, "0")) for i in ints)


def cmd_unsigned(src, dst):
    tree = parse(src)
    root = tree.getroot()
    for sig in list(root.iter(DS + "Signature")):
        remove_keep_tail(sig)
    bts = [c for c in root if isinstance(c.tag, str) and c.tag.endswith("}BaseTransfer")]
    for c in bts[1:]:
        remove_keep_tail(c)
    tree.write(dst, xml_declaration=True, encoding="UTF-8")


def cmd_split(src, prefix):
    tree = parse(src)
    sig = tree.getroot().find(DS + "Signature")
    si = sig.find(DS + "SignedInfo")
    with open(prefix + ".si", "wb") as f:
        f.write(etree.tostring(si, method="c14n"))
    with open(prefix + ".rs", "wb") as f:
        f.write(b64(sig.find(DS + "SignatureValue")))
    with open(prefix + ".dv", "wb") as f:
        f.write(b64(si.find(DS + "Reference/" + DS + "DigestValue")))
    remove_keep_tail(sig)
    with open(prefix + ".doc", "wb") as f:
        f.write(etree.tostring(tree, method="c14n"))


def cmd_der(src, dst):
    tree = parse(src)
    sv = tree.getroot().find(DS + "Signature/" + DS + "SignatureValue")
    sv.text = base64.b64encode(rs_to_der(b64(sv), dst)).decode()
    tree.write(dst, xml_declaration=True, encoding="UTF-8")


def cmd_oldform(src, dst, key, cert):
    tree = parse(src)
    root = tree.getroot()
    digest = openssl("dgst", "-sha1", "-binary", data=etree.tostring(tree, method="c14n"))
    E = lambda parent, name, **a: etree.SubElement(parent, DS + name, **a)
    sig = etree.SubElement(root, DS + "Signature", nsmap={"ds": DS_NS})
    si = E(sig, "SignedInfo")
    E(si, "CanonicalizationMethod",
      Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    E(si, "SignatureMethod", Algorithm=DS_NS + "sm2-sm3")
    ref = E(si, "Reference", URI="")
    E(E(ref, "Transforms"), "Transform", Algorithm=DS_NS + "enveloped-signature")
    E(ref, "DigestMethod", Algorithm=DS_NS + "sha1")
    E(ref, "DigestValue").text = base64.b64encode(digest).decode()
    der = openssl("dgst", "-sm3", "-sign", key, "-sigopt", "distid:" + SM2_ID,
                  data=etree.tostring(si, method="c14n"))
    E(sig, "SignatureValue").text = base64.b64encode(der_to_rs(der)).decode()
    ki = E(sig, "KeyInfo")
    E(ki, "KeyName").text = "0001"
    pem = open(cert).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    E(E(ki, "X509Data"), "X509Certificate").text = "".join(body.split())
    tree.write(dst, xml_declaration=True, encoding="UTF-8")


COMMANDS = {"unsigned": cmd_unsigned, "split": cmd_split, "der": cmd_der,
            "oldform": cmd_oldform}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])

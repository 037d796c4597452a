"""Write fixcheck/contracts/LiquidityPool.vy: contracts/LiquidityPool.vy with the fixes
proposed in REPORT.md (nothing outside this review directory is touched). The
`interfaces` and `lib` folders next to it are symlinks to the real ones, so the relative
imports compile unchanged. Also writes fixcheck/fix.diff.

Fixes:
 F1 (A1, A2-B, A3, A10) a mature redemption never waits: it pays
    out = min(quoted, value now, free cash), burns only the shares worth `out` at the
    current price (rounded up) and returns the other escrowed shares to the requester;
    out == 0 returns them all. A deposit executed at its quote (quoted < shares the assets
    buy now) takes only the assets those shares cost now (rounded up), refunding the rest.
 F4 (A4) a pool is insolvent for a new LP whenever its NAV is 0 and it owes anything
    (claims or traders' gains), whatever the supply.
"""
import difflib
import os
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
src = (ROOT / "contracts" / "LiquidityPool.vy").read_text()
out = src

old_dep = """        if erc4626.erc20.totalSupply == 0 or self._total_assets() > 0:
            out = min(request.quoted, self._to_shares(request.amount, False))
        refunded = out == 0
        self.pending_assets -= request.amount
        if refunded:
            assert extcall _TOKEN.transfer(
                request.owner, request.amount, default_return_value=True
            ), "pool: transfer failed"
        else:"""
new_dep = """        used: uint256 = request.amount
        if self._accepts_new_lp():
            fair: uint256 = self._to_shares(request.amount, False)
            out = min(request.quoted, fair)
            if out < fair:
                # F1: at the quote, pay only what the quoted shares cost now
                used = min(request.amount, self._to_assets(out, True))
        refunded = out == 0
        self.pending_assets -= request.amount
        if refunded:
            assert extcall _TOKEN.transfer(
                request.owner, request.amount, default_return_value=True
            ), "pool: transfer failed"
        else:
            if used < request.amount:
                assert extcall _TOKEN.transfer(
                    request.owner, request.amount - used, default_return_value=True
                ), "pool: transfer failed\""""
assert old_dep in out
out = out.replace(old_dep, new_dep)

old_red = """        out = min(request.quoted, self._to_assets(request.amount, False))
        assert out > 0, "pool: zero assets"
        assert out <= self._free_cash(), "pool: utilisation"
        erc4626._withdraw(self, request.receiver, self, out, request.amount)"""
new_red = """        # F1: never waits; pays what it can now, gives back the other shares
        out = min(
            min(request.quoted, self._to_assets(request.amount, False)),
            self._free_cash(),
        )
        burnt: uint256 = 0
        if out > 0:
            burnt = min(request.amount, self._to_shares(out, True))
            erc4626._withdraw(self, request.receiver, self, out, burnt)
        if burnt < request.amount:
            erc4626.erc20._transfer(self, request.owner, request.amount - burnt)"""
assert old_red in out
out = out.replace(old_red, new_red)

old_solv = """    self._check_breakers()
    assert (
        erc4626.erc20.totalSupply == 0 or self._total_assets() > 0
    ), "pool: insolvent\""""
new_solv = """    self._check_breakers()
    assert self._accepts_new_lp(), "pool: insolvent"


@internal
@view
def _accepts_new_lp() -> bool:
    \"\"\"
    @dev F4: a new LP's money buys something only when the NAV is positive, or
         nothing at all is owed (a fresh pool): never into claims or traders'
         gains, whatever the supply.
    \"\"\"
    if self._total_assets() > 0:
        return True
    return self.owed == 0 and self._liability() <= 0"""
assert old_solv in out
out = out.replace(old_solv, new_solv)

dst = HERE / "contracts"
dst.mkdir(exist_ok=True)
(dst / "LiquidityPool.vy").write_text(out)
for d in ("interfaces", "lib"):
    link = dst / d
    if not link.exists():
        os.symlink(ROOT / "contracts" / d, link)
diff = difflib.unified_diff(
    src.splitlines(True), out.splitlines(True), "contracts/LiquidityPool.vy", "patched/LiquidityPool.vy"
)
(HERE / "fix.diff").write_text("".join(diff))
print("wrote", dst / "LiquidityPool.vy", "and fix.diff")

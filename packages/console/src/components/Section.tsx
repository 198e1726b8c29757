import { makeStyles, mergeClasses, Title2, tokens } from "@fluentui/react-components";
import { type ReactNode, useId } from "react";

const useStyles = makeStyles({
  section: { marginTop: tokens.spacingVerticalXXL },
});

/** A part of a page under its own heading, which also names it for assistive technologies. */
export const Section = ({
  title,
  className,
  children,
}: {
  title: string;
  className?: string | undefined;
  children: ReactNode;
}) => {
  const styles = useStyles();
  const heading = useId();
  return (
    <section className={mergeClasses(styles.section, className)} aria-labelledby={heading}>
      <Title2 as="h2" id={heading}>
        {title}
      </Title2>
      {children}
    </section>
  );
};
